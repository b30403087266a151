using System.Diagnostics;

namespace Forecast.Ingestion.Kafka.Tests;

/// <summary>R7: three silo processes form a cluster through Redis; one is killed with SIGKILL mid-stream.</summary>
public sealed class ClusterFailoverTests(RedisFixture redis, ITestOutputHelper output) : IClassFixture<RedisFixture>
{
    [Fact]
    public async Task Cluster_LosesNothing_WhenOneOfThreeSilosIsKilled()
    {
        // librdkafka's mock cluster keeps about 5 MB per partition of its 4: the readings and the
        // predictions (about 1 KB each) must stay within that of the consumers, so 12 readings per sensor
        // at a rate this 2-core machine's three silos keep up with.
        var started = Stopwatch.GetTimestamp();
        using var traffic = new SteadyTraffic(sensors: 10_000, perSensor: 12, slice: 2_000).Start();
        var (cluster, readings, produce, topics) = (traffic.Cluster, traffic.Readings, traffic.Production, traffic.Topics);
        var clustering = ForecastProcess.Clustered(redis.ConnectionString, "failover");
        using var first = ForecastProcess.Run(cluster.BootstrapServers, clustering);
        using var second = ForecastProcess.Run(cluster.BootstrapServers, clustering);
        using var third = ForecastProcess.Run(cluster.BootstrapServers, clustering);

        await SiloCrashTests.WaitAsync(() => topics.Committed() >= 40_000, TimeSpan.FromMinutes(2), second, topics);
        output.WriteLine($"at the kill ({Stopwatch.GetElapsedTime(started).TotalSeconds:N0} s): {topics.Describe()}");
        var atKill = topics.CommittedByPartition();
        second.Kill();
        var killedAt = Stopwatch.GetTimestamp();

        // Recovery: the killed silo's partitions are consumed and committed again by the survivors.
        await SiloCrashTests.WaitAsync(() => topics.AllCommittingSince(atKill), TimeSpan.FromMinutes(2), first, topics);
        var resumed = Stopwatch.GetElapsedTime(killedAt);
        await produce;
        await SiloCrashTests.WaitAsync(() => topics.CaughtUp(), TimeSpan.FromMinutes(3), first, topics);
        var recovered = Stopwatch.GetElapsedTime(killedAt);

        var (messages, covered) = topics.ReadPredictions();
        output.WriteLine($"every partition committing again {resumed.TotalSeconds:N1} s after the kill");
        output.WriteLine($"done at {Stopwatch.GetElapsedTime(started).TotalSeconds:N0} s; all readings committed {recovered.TotalSeconds:N1} s after the kill (production ended meanwhile); {messages - covered.Count} duplicate predictions");
        // Calls the surviving silos' consumers retried: sensors they feed that lived on the killed silo.
        output.WriteLine($"grain calls retried by the survivors: {FailedCalls(first) + FailedCalls(third)}");
        var missing = readings
            .Select(r => (r.Key, DateTimeOffset.FromUnixTimeMilliseconds(System.Text.Json.JsonDocument.Parse(r.Value).RootElement.GetProperty("ts").GetInt64())))
            .Where(r => !covered.Contains(r))
            .Take(10)
            .Select(r => $"{r.Key}@{(r.Item2 - Traffic.Start).TotalMinutes}");
        Assert.True(covered.Count == readings.Count,
            $"{readings.Count - covered.Count} readings have no prediction (first: {string.Join(", ", missing)}); {topics.Describe()}\nsilo 1:\n{first.Output}\nsilo 3:\n{third.Output}");
    }

    private static int FailedCalls(ForecastProcess silo) => silo.CountLines("readings failed (attempt");
}
