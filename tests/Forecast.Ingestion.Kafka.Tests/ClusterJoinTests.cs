using System.Text.RegularExpressions;

namespace Forecast.Ingestion.Kafka.Tests;

/// <summary>A third silo joins a two-silo cluster under load: partitions and sensors move to it, and nothing is lost or applied twice.</summary>
public sealed class ClusterJoinTests(RedisFixture redis, ITestOutputHelper output) : IClassFixture<RedisFixture>
{
    [Fact]
    public async Task Cluster_MovesPartitionsAndSensorsToAJoiningSilo_WithoutLossOrDoubleApplication()
    {
        // 48 s of steady traffic, so the join and the moves happen mid-stream even on a busy machine.
        using var traffic = new SteadyTraffic(sensors: 200, perSensor: 240, slice: 500).Start();
        var (cluster, readings, produce, topics) = (traffic.Cluster, traffic.Readings, traffic.Production, traffic.Topics);
        string[] settings = [.. ForecastProcess.Clustered(redis.ConnectionString, "join"), "--Logging:LogLevel:Forecast.Grains.SensorGrain", "Debug"];
        using var first = ForecastProcess.Run(cluster.BootstrapServers, settings);
        using var second = ForecastProcess.Run(cluster.BootstrapServers, settings);

        await SiloCrashTests.WaitAsync(() => topics.Committed() >= 2_000, TimeSpan.FromMinutes(2), second, topics);
        output.WriteLine($"third silo starts: {topics.Describe()}");
        using var third = ForecastProcess.Run(cluster.BootstrapServers, settings);
        await SiloCrashTests.WaitAsync(() => Regex.IsMatch(third.Output, @"Assigned partitions \d"), TimeSpan.FromMinutes(1), third, topics);
        output.WriteLine($"third silo has partitions: {topics.Describe()}");
        Assert.False(produce.IsCompleted, "production ended before the third silo took partitions; the join was not under load");

        await produce;
        await SiloCrashTests.WaitAsync(() => topics.CaughtUp(), TimeSpan.FromMinutes(3), third, topics);
        var (messages, covered) = topics.ReadPredictions();
        var moved = Moves(first) + Moves(second);
        output.WriteLine($"{covered.Count} readings predicted, {messages} prediction messages; {moved} sensors moved to the silos consuming their partitions");

        Assert.True(covered.Count == readings.Count, $"{readings.Count - covered.Count} readings have no prediction; {topics.Describe()}\nsilo 3:\n{third.Output}");
        Assert.True(messages == covered.Count, $"{messages - covered.Count} readings were predicted twice (applied twice or redelivered)");
        Assert.True(moved > 0, $"no sensor moved to the joining silo's partitions\nsilo 1:\n{first.Output}");
    }

    private static int Moves(ForecastProcess silo) => silo.CountLines("where its partition is consumed");
}
