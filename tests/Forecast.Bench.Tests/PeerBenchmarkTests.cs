namespace Forecast.Bench.Tests;

/// <summary>
/// The race against the Python peer on a small backlog: both contenders run for real (librdkafka's mock cluster,
/// InfluxDB 1.x, Debian's python3 with torch and confluent-kafka) and each must make every reading durable.
/// </summary>
public sealed class PeerBenchmarkTests
{
    [Fact]
    public async Task RunAsync_BothContendersMakeEveryReadingDurable_AfterForecastsWarmUp()
    {
        var exitCode = await PeerBenchmark.RunAsync(
            ["--Simulator:Sensors", "100", "--Bench:ReadingsPerSensor", "60", "--Bench:WarmupReadingsPerSensor", "20", "--Bench:WarmupRounds", "2", "--Bench:Peer", RepositoryFiles.Find("benchmarks", "peer", "peer.py")]);

        Assert.Equal(0, exitCode);
    }

    [Fact]
    public async Task RunAsync_WithoutThePeer_SaysWhereItLooked()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => PeerBenchmark.RunAsync(["--Bench:Peer", "/no/such/peer.py"]));

        Assert.Contains("Bench:Peer '/no/such/peer.py' does not exist", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--Simulator:Sensors", "0")]
    [InlineData("--Bench:ReadingsPerSensor", "-5")]
    [InlineData("--Bench:WarmupReadingsPerSensor", "-1")]
    [InlineData("--Bench:WarmupRounds", "0")]
    public async Task RunAsync_RefusesSizesThatMakeNoBacklog(string option, string value)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => PeerBenchmark.RunAsync([option, value, "--Bench:Peer", RepositoryFiles.Find("benchmarks", "peer", "peer.py")]));

        Assert.Contains("must be positive", error.Message, StringComparison.Ordinal);
    }
}
