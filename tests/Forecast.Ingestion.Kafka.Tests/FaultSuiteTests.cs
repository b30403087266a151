using Forecast.Faults;

namespace Forecast.Ingestion.Kafka.Tests;

/// <summary>
/// A short run of the fault suite (tests/faults/run.sh) inside the tests: its rig, its fault injection, its
/// figures and its loss check through <c>forecast verify</c> must keep working between full runs.
/// </summary>
public sealed class FaultSuiteTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Redis_frozen_for_a_few_seconds_under_load_loses_nothing_and_the_suite_reports_its_figures()
    {
        var settings = new Settings
        {
            Sensors = 100,
            Rate = 300,
            Warmup = TimeSpan.FromSeconds(8),
            RedisOutage = TimeSpan.FromSeconds(5),
            After = TimeSpan.FromSeconds(8),
        };
        using var log = new StringWriter();
        var report = await new Scenarios(settings, log).RunAsync("redis-outage");
        output.WriteLine(log.ToString());

        Assert.Null(report.Failure);
        Assert.True(report.Produced > 4_000, $"only {report.Produced} readings produced");
        Assert.Equal(0, report.Lost);
        Assert.Equal(report.Produced, report.Durable);
        Assert.Single(report.Recovery);
        Assert.True(report.PeakRssMb > 50, $"peak memory {report.PeakRssMb} MB: the silos were not sampled");
    }

    [Fact]
    public async Task Poison_models_uploaded_under_load_are_refused_and_the_serving_version_keeps_serving()
    {
        var settings = new Settings { Sensors = 100, Rate = 300, Warmup = TimeSpan.FromSeconds(10), After = TimeSpan.FromSeconds(5) };
        using var log = new StringWriter();
        var report = await new Scenarios(settings, log).RunAsync("poison-model");
        output.WriteLine(log.ToString());

        Assert.True(report.Failure is null, report.Failure);
        Assert.Equal(5, log.ToString().Split('\n').Count(line => line.Contains("poison '", StringComparison.Ordinal) && line.Contains(": 422 ", StringComparison.Ordinal)));
        Assert.Equal(0, report.Lost);
        Assert.Equal(report.Produced, report.Durable);
    }

    [Theory]
    [InlineData("--scenarios kill,flood", "--scenarios: unknown flood")]
    [InlineData("--rate 0", "--rate must be a positive whole number, not '0'")]
    [InlineData("--kill-every soon", "--kill-every 'soon' is not a duration")]
    [InlineData("--kills", "--kills needs a value")]
    [InlineData("--colour red", "unknown option --colour")]
    public void Bad_options_are_refused_with_what_is_wrong(string arguments, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => Settings.Parse(arguments.Split(' ')));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_after_a_double_dash_go_to_every_silo()
    {
        var settings = Settings.Parse(["--scenarios", "kill", "--kills", "3", "--static-membership", "--", "--Orleans:Membership:ProbeTimeout", "00:00:05"]);
        Assert.Equal(["kill"], settings.Scenarios);
        Assert.Equal(3, settings.Kills);
        Assert.True(settings.StaticMembership);
        Assert.Equal(["--Orleans:Membership:ProbeTimeout", "00:00:05"], settings.SiloOptions);
    }
}
