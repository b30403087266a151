using Forecast.Alerting.Outbox;
using Microsoft.Extensions.Configuration;

namespace Forecast.Alerting.Tests;

/// <summary>Bad alert settings stop the silo at start with a message naming the key, and never echo a secret.</summary>
public sealed class AlertingOptionsTests
{
    private const string Good = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

    [Theory]
    [InlineData("not-a-secret", "not a Standard Webhooks secret")]
    [InlineData("whsec_%%%%", "not a Standard Webhooks secret")]
    [InlineData("whsec_c2hvcnQ=", "not a Standard Webhooks secret")]
    [InlineData(null, "needs a signing secret")]
    public void A_webhook_without_a_valid_secret_is_refused(string? secret, string message)
    {
        var failures = Failures(o =>
        {
            o.Webhook.Url = new Uri("http://receiver.example/hook");
            o.Webhook.Secret = secret;
        });

        var failure = Assert.Single(failures);
        Assert.Contains(message, failure, StringComparison.Ordinal);
        Assert.DoesNotContain("%%%%", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_secret_file_is_read_and_an_unreadable_one_is_named()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, Good + "\n");
        try
        {
            Assert.Empty(Failures(o => (o.Webhook.Url, o.Webhook.SecretFile) = (new Uri("http://receiver.example/hook"), file)));
            var failure = Assert.Single(Failures(o => (o.Webhook.Url, o.Webhook.SecretFile) = (new Uri("http://receiver.example/hook"), file + ".missing")));
            Assert.Contains("Alerts:Webhook:SecretFile", failure, StringComparison.Ordinal);
            Assert.Contains("Set Alerts:Webhook:Secret or Alerts:Webhook:SecretFile, not both.", Failures(o =>
                (o.Webhook.Url, o.Webhook.Secret, o.Webhook.SecretFile) = (new Uri("http://receiver.example/hook"), Good, file)));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Urls_routing_keys_and_outbox_limits_are_checked()
    {
        var failures = Failures(o =>
        {
            o.Alertmanager.Url = new Uri("/relative", UriKind.Relative);
            o.Slack.Url = new Uri("ftp://slack.example/hook");
            o.PagerDuty.RoutingKey = "has spaces in it";
            o.Outbox.Capacity = 0;
            o.Outbox.RetryDelay = TimeSpan.Zero;
            o.Alertmanager.ResendInterval = TimeSpan.Zero;
        });

        Assert.Contains(failures, f => f.StartsWith("Alerts:Alertmanager:Url", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Alerts:Slack:Url", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Alerts:PagerDuty:RoutingKey", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Alerts:Outbox:Capacity", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Alerts:Outbox:RetryDelay", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Alerts:Alertmanager:ResendInterval", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_host_with_a_bad_secret_does_not_start()
    {
        using var host = new HostBuilder().ConfigureServices(services => services.AddAlerting(o => o.Configure(a =>
        {
            a.Webhook.Url = new Uri("http://receiver.example/hook");
            a.Webhook.Secret = "whsec_nope";
        }))).Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Alerts:Webhook:Secret", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Auto", typeof(RedisAlertStore))]
    [InlineData("Files", typeof(FileAlertStore))]
    public void A_clustered_silo_keeps_its_outbox_in_Redis_unless_told_Files(string store, Type expected)
    {
        var folder = Directory.CreateTempSubdirectory("forecast-alerts-").FullName;
        try
        {
            var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Alerts:Slack:Url"] = "http://receiver.example/hook",
                ["Alerts:Outbox:Store"] = store,
                ["Alerts:Outbox:Directory"] = folder,
            });
            using var services = builder.AddAlerting("127.0.0.1:1").Services.BuildServiceProvider();
            Assert.IsType(expected, services.GetRequiredService<IAlertStore>());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static List<string> Failures(Action<AlertingOptions> configure)
    {
        var options = new AlertingOptions();
        configure(options);
        var result = new AlertingOptionsValidator().Validate(null, options);
        return result.Failed ? [.. result.Failures] : [];
    }
}
