using Forecast.Sinks.InfluxDb;

namespace Forecast.Bench.Tests;

public sealed class InfluxDbSinkBenchmarkTests(InfluxServerFixture fixture) : IClassFixture<InfluxServerFixture>
{
    [Fact]
    public async Task RunAsync_WritesEveryPointAndReportsThroughputAndCpu()
    {
        var options = new InfluxDbSinkOptions { Url = fixture.Server.Url, Version = InfluxDbVersion.V1, Database = $"bench_{Guid.NewGuid():N}"[..18] };

        var result = await InfluxDbSinkBenchmark.RunAsync(options, points: 20_000, concurrency: 16, predictionsPerCall: 50);

        Assert.Equal(20_000, result.Points);
        Assert.Equal(20_000, await fixture.Server.CountAsync(options.Database, "prediction", "yhat"));
        Assert.True(result.PointsPerSecond > 0);
        Assert.True(result.CpuMicrosecondsPerPoint > 0);
        Assert.InRange(result.Requests, 4, 200);
        Assert.Equal(0, result.RejectedPoints);
        Assert.Contains("points/s", result.ToString(), StringComparison.Ordinal);
    }
}
