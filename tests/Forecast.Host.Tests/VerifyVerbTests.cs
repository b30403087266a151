using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Confluent.Kafka;

namespace Forecast.Host.Tests;

/// <summary><c>forecast verify</c> against librdkafka's mock cluster and a real InfluxDB 1.x.</summary>
public sealed class VerifyVerbTests : IAsyncLifetime
{
    private const string Topic = "sensor-readings";
    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds());
    private InfluxServer _influx = null!;

    public async Task InitializeAsync() => _influx = await InfluxServer.StartAsync();

    public async Task DisposeAsync() => await _influx.DisposeAsync();

    [Fact]
    public async Task Readings_missing_from_InfluxDB_are_reported_per_sensor_and_fail_the_check()
    {
        using var cluster = KafkaMockCluster.Start();
        var entered = Enumerable.Range(0, 3).SelectMany(s => Enumerable.Range(0, 20).Select(i => ($"pump-{s}", Start.AddSeconds(10 * i)))).ToList();
        // A late reading and a duplicate: the grains ignore both by design, so neither counts as lost.
        await ProduceAsync(cluster.BootstrapServers, [.. entered, ("pump-0", Start.AddSeconds(15)), ("pump-1", Start.AddSeconds(190))]);
        var database = await _influx.CreateDatabaseAsync("verify");
        var lost = new[] { ("pump-2", Start.AddSeconds(50)), ("pump-2", Start.AddSeconds(60)) };
        await MirrorAsync(database, entered.Except(lost));

        var (exit, stdout, stderr) = await VerifyAsync("--kafka", cluster.BootstrapServers, "--InfluxDb:Database", database, "--json", "-");

        Assert.True(exit == 1, $"exit {exit}\n{stdout}\n{stderr}");
        Assert.Contains("LOSS: 2 readings", stdout, StringComparison.Ordinal);
        var report = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]).RootElement;
        Assert.Equal((60, 58, 2, 1, 1), (report.GetProperty("entered").GetInt32(), report.GetProperty("durable").GetInt32(), report.GetProperty("lost").GetInt32(),
            report.GetProperty("late").GetInt32(), report.GetProperty("duplicates").GetInt32()));
        var pump2 = report.GetProperty("sensors").EnumerateArray().Single(s => s.GetProperty("sensor").GetString() == "pump-2");
        Assert.Equal([Start.AddSeconds(50), Start.AddSeconds(60)], pump2.GetProperty("firstLost").EnumerateArray().Select(t => t.GetDateTimeOffset()));
    }

    [Fact]
    public async Task Every_reading_durable_passes_and_no_data_or_no_InfluxDB_is_no_verdict()
    {
        var file = Path.GetTempFileName();
        try
        {
            var entered = Enumerable.Range(0, 10).Select(i => ("line-1/pump", Start.AddSeconds(i))).ToList();
            await File.WriteAllLinesAsync(file, entered.Select(r => Json(r.Item1, r.Item2)));
            var database = await _influx.CreateDatabaseAsync("verify");
            await MirrorAsync(database, entered);

            var (exit, stdout, _) = await VerifyAsync("--file", file, "--InfluxDb:Database", database, "--sensors", "line-1/*");
            Assert.True(exit == 0, stdout);
            Assert.Contains("No loss", stdout, StringComparison.Ordinal);

            var (empty, _, emptyError) = await VerifyAsync("--file", file, "--InfluxDb:Database", database, "--sensors", "line-9/*");
            Assert.Equal(2, empty);
            Assert.Contains("nothing to verify, which is not the same as no loss", emptyError, StringComparison.Ordinal);

            var (down, _, downError) = await VerifyAsync("--file", file, "--InfluxDb:Database", database, "--InfluxDb:Url", $"http://127.0.0.1:{FreePort.Next()}");
            Assert.Equal(2, down);
            Assert.Contains("cannot be read", downError, StringComparison.Ordinal);

            var (neither, _, neitherError) = await VerifyAsync("--InfluxDb:Database", database);
            Assert.Equal(2, neither);
            Assert.Contains("give --kafka BOOTSTRAP (the readings topic) or --file FILE", neitherError, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static string Json(string sensor, DateTimeOffset time) =>
        JsonSerializer.Serialize(new { sensor, ts = time.ToUnixTimeMilliseconds(), value = 20.5 });

    private static async Task ProduceAsync(string bootstrapServers, IEnumerable<(string Sensor, DateTimeOffset Time)> readings)
    {
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = bootstrapServers }).Build();
        foreach (var (sensor, time) in readings)
        {
            await producer.ProduceAsync(Topic, new Message<string, string> { Key = sensor, Value = Json(sensor, time) });
        }
    }

    private Task MirrorAsync(string database, IEnumerable<(string Sensor, DateTimeOffset Time)> readings) => _influx.WriteRawAsync(
        database,
        string.Join('\n', readings.Select(r => string.Create(CultureInfo.InvariantCulture, $"reading,sensor={r.Sensor} value=20.5 {r.Time.ToUnixTimeMilliseconds() * 1_000_000}"))));

    private async Task<(int ExitCode, string Stdout, string Stderr)> VerifyAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "forecast.dll"), "verify", "--InfluxDb:Url", _influx.Url, "--InfluxDb:Version", "V1" }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
