using System.Diagnostics;
using Forecast.Host.Tests;
using Xunit.Abstractions;

namespace Forecast.Ingestion.Kafka.Tests;

/// <summary>R7: three silo processes form a cluster through Redis; one is killed with SIGKILL mid-stream.</summary>
public sealed class ClusterFailoverTests(RedisFixture redis, ITestOutputHelper output) : IClassFixture<RedisFixture>
{
    [Fact]
    public async Task Cluster_LosesNothing_WhenOneOfThreeSilosIsKilled()
    {
        // Small enough that librdkafka's mock cluster keeps every prediction (it trims partitions at about 8 MB).
        const int Sensors = 200;
        const int PerSensor = 60;
        using var cluster = KafkaMockCluster.Start();
        var readings = Traffic.Readings(Sensors, PerSensor).ToList();
        var produce = Traffic.ProduceSteadilyAsync(cluster.BootstrapServers, readings, 1_000, TimeSpan.FromMilliseconds(400));
        using var topics = new SiloCrashTests.TopicProbe(cluster.BootstrapServers).Start();
        string[] clustering = ["--Orleans:Redis", redis.ConnectionString, "--Orleans:ClusterId", "failover-" + Guid.NewGuid().ToString("N")];
        using var first = ForecastProcess.Run(cluster.BootstrapServers, clustering);
        using var second = ForecastProcess.Run(cluster.BootstrapServers, clustering);
        using var third = ForecastProcess.Run(cluster.BootstrapServers, clustering);

        await SiloCrashTests.WaitAsync(() => topics.Committed() >= 3_000, TimeSpan.FromMinutes(2), second, topics);
        output.WriteLine($"at the kill: {topics.Describe()}");
        second.Kill();
        var killedAt = Stopwatch.GetTimestamp();
        await produce;
        await SiloCrashTests.WaitAsync(() => topics.CaughtUp(), TimeSpan.FromMinutes(3), first, topics);
        var recovered = Stopwatch.GetElapsedTime(killedAt);

        var (messages, covered) = topics.ReadPredictions();
        output.WriteLine($"all readings committed {recovered.TotalSeconds:N1} s after the kill (production ended meanwhile); {messages - covered.Count} duplicate predictions");
        var missing = readings
            .Select(r => (r.Key, DateTimeOffset.FromUnixTimeMilliseconds(System.Text.Json.JsonDocument.Parse(r.Value).RootElement.GetProperty("ts").GetInt64())))
            .Where(r => !covered.Contains(r))
            .Take(10)
            .Select(r => $"{r.Key}@{(r.Item2 - Traffic.Start).TotalMinutes}");
        Assert.True(covered.Count == readings.Count,
            $"{readings.Count - covered.Count} readings have no prediction (first: {string.Join(", ", missing)}); {topics.Describe()}\nsilo 1:\n{first.Output}\nsilo 3:\n{third.Output}");
    }
}
