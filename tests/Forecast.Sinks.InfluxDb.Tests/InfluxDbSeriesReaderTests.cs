namespace Forecast.Sinks.InfluxDb.Tests;

/// <summary>What the dashboard reads back from a real InfluxDB 1.x: the sink's own points, joined per moment.</summary>
[Collection(InfluxCollection.Name)]
public sealed class InfluxDbSeriesReaderTests(InfluxServerFixture fixture)
{
    private readonly InfluxServer _server = fixture.Server;

    [Fact]
    public async Task A_sensors_readings_come_back_with_the_forecast_made_for_each_and_its_anomalies()
    {
        var database = await _server.CreateDatabaseAsync("series");
        var options = TestData.V1(_server.Url, database);
        await using (var sink = InfluxDbSink.Create(options))
        {
            await sink.WriteAsync(TestData.Batch("pump-1", 0, 30));
            await sink.WriteAsync(TestData.Batch("pump-2", 0, 30));
            await sink.WriteAsync(new SinkBatch([], [], [TestData.Anomaly("pump-1", 12, AnomalySeverity.Critical)]));
        }

        using var reader = new InfluxDbSeriesReader(options, token: null);
        var series = await reader.ReadAsync("pump-1", TestData.Start, TestData.Start.AddMinutes(10), maxPoints: 100);

        // Readings 0..29 at 10 s; step-1 forecasts target readings 1..30 (the last one is still ahead of any reading).
        Assert.Equal(31, series.Points.Count);
        Assert.False(series.Truncated);
        var fifth = series.Points.Single(p => p.Time == TestData.Start.AddSeconds(50));
        var made = TestData.Prediction("pump-1", 4).Steps[0];
        Assert.Equal(TestData.Reading("pump-1", 5).Value, fifth.Value);
        Assert.Equal((made.Mean, made.Lower, made.Upper), (fifth.Mean!.Value, fifth.Lower!.Value, fifth.Upper!.Value));
        Assert.Null(series.Points[0].Mean);
        var anomaly = Assert.Single(series.Anomalies);
        Assert.Equal((TestData.Start.AddSeconds(120), AnomalySeverity.Critical, 7.75), (anomaly.Timestamp, anomaly.Severity, anomaly.Score));

        var latest = await reader.ReadAsync("pump-1", TestData.Start, TestData.Start.AddMinutes(10), maxPoints: 10);
        Assert.True(latest.Truncated);
        Assert.Equal(TestData.Start.AddSeconds(300), latest.Points[^1].Time);
        Assert.Equal(10, latest.Points.Count);

        Assert.Empty((await reader.ReadAsync("pump-9", TestData.Start, TestData.Start.AddMinutes(10), 100)).Points);
    }

    [Fact]
    public async Task An_unknown_database_is_a_clear_error_not_an_empty_series()
    {
        using var reader = new InfluxDbSeriesReader(TestData.V1(_server.Url, "no_such_database"), token: null);

        var error = await Assert.ThrowsAsync<InfluxDbWriteException>(() => reader.ReadAsync("pump-1", TestData.Start, TestData.Start.AddMinutes(1), 10));
        Assert.Contains("database 'no_such_database'", error.Message, StringComparison.Ordinal);
    }
}
