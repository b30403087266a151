using static Forecast.Grains.Tests.SensorTestData;

namespace Forecast.Grains.Tests;

public sealed class SensorStreamDriftTests
{
    [Fact]
    public async Task ApplyAsync_RefitsTheScalerAndRewarmsFromTheRing_WhenTheLevelTrendsAway()
    {
        var forecaster = new PersistenceForecaster();
        // Past its learning period the range is wide enough that a trend's next step is not novel.
        var stream = new SensorStream(Sensor, new AnomalyOptions { LearningReadings = 100 });

        var output = await stream.ApplyAsync(Trend(0, 200), forecaster);

        Assert.True(stream.Refits >= 2, $"{stream.Refits} refits");
        // A re-warm runs the whole ring (8 readings) through the model from zero state.
        Assert.Contains(forecaster.Calls, c => c.Length == 8);
        // Once the scaler follows the level, no input sits at the clip any more.
        Assert.All(forecaster.Calls.Skip(70), c => Assert.All(c, z => Assert.InRange(z, -9.9, 9.9)));
        // The persistence model's forecast is the last value again, not the clip of the warm-up scaler.
        var last = output.Predictions[^1];
        Assert.Equal(Value(199), last.Steps[0].Mean, 3);
        Assert.Empty(output.Anomalies);
        Assert.True(stream.Status().ScalerMean > 40);
    }

    [Fact]
    public async Task ApplyAsync_ForecastsStayAtTheWarmupsClip_WithoutRefits()
    {
        var stream = new SensorStream(Sensor, new AnomalyOptions { LearningReadings = 30, DriftReadings = 0 });

        var output = await stream.ApplyAsync(Trend(0, 200), new PersistenceForecaster());

        // What refitting prevents: inputs stuck at the clip, forecasts far below the level.
        Assert.Equal(0, stream.Refits);
        var status = stream.Status();
        Assert.Equal(status.ScalerMean + (10 * status.ScalerScale), output.Predictions[^1].Steps[0].Mean, 6);
        Assert.True(output.Predictions[^1].Steps[0].Mean < Value(199) - 20);
    }

    [Fact]
    public async Task ApplyAsync_OpensAnEpisodeWithoutRefitting_ForASpike()
    {
        var stream = new SensorStream(Sensor, new AnomalyOptions { LearningReadings = 30 });
        var readings = Seasonal(0, 100);
        readings[60] = readings[60] with { Value = 100 };

        var output = await stream.ApplyAsync(readings, new PersistenceForecaster());

        Assert.Equal(T0.AddMinutes(60), Assert.Single(output.Anomalies).Timestamp);
        Assert.Equal(0, stream.Refits);
    }

    [Fact]
    public async Task ApplyAsync_OpensAnEpisodeWithoutRefitting_ForAShortLevelShift()
    {
        var stream = new SensorStream(Sensor, new AnomalyOptions { LearningReadings = 30 });
        var readings = Seasonal(0, 100);
        for (var i = 60; i < 60 + 8; i++)
        {
            readings[i] = readings[i] with { Value = readings[i].Value + 30 };
        }

        var output = await stream.ApplyAsync(readings, new PersistenceForecaster());

        Assert.Equal(T0.AddMinutes(60), output.Anomalies[0].Timestamp);
        Assert.Equal(0, stream.Refits);
    }

    [Fact]
    public async Task ApplyAsync_RefitsOnce_WhenALevelShiftLasts_AndTheEpisodeCloses()
    {
        var stream = new SensorStream(Sensor, new AnomalyOptions { LearningReadings = 30 });
        var readings = Seasonal(0, 160);
        for (var i = 60; i < readings.Length; i++)
        {
            readings[i] = readings[i] with { Value = readings[i].Value + 30 };
        }

        var output = await stream.ApplyAsync(readings, new PersistenceForecaster());

        Assert.Equal(T0.AddMinutes(60), output.Anomalies[0].Timestamp);
        Assert.Equal(1, stream.Refits);
        Assert.False(stream.Status().EpisodeOpen);
        Assert.Equal(readings[^1].Value, output.Predictions[^1].Steps[0].Mean, 6);
    }

    [Fact]
    public async Task ApplyAsync_RefitsAWindowModel_FeedingItTheRingUnderTheNewScaler()
    {
        var window = new WindowMeanForecaster();
        var stream = new SensorStream(Sensor, new AnomalyOptions { LearningReadings = 30 });

        var output = await stream.ApplyAsync(Trend(0, 200), window);

        Assert.True(stream.Refits >= 2, $"{stream.Refits} refits");
        Assert.All(window.Calls.Skip(70), c => Assert.All(c, z => Assert.InRange(z, -9.9, 9.9)));
        // The window mean lags a rising level by a few readings, no more.
        Assert.InRange(output.Predictions[^1].Steps[0].Mean, 20 + (0.2 * 190), 20 + (0.2 * 200));
    }

    [Fact]
    public async Task Restore_ContinuesExactlyAsTheExportedStream_AcrossARefit()
    {
        var options = new AnomalyOptions { LearningReadings = 30 };
        var live = new SensorStream(Sensor, options);
        await live.ApplyAsync(Trend(0, 30), new PersistenceForecaster());
        var restored = SensorStream.Restore(Sensor, options, live.Export());

        var expected = await live.ApplyAsync(Trend(30, 100), new PersistenceForecaster());
        var actual = await restored.ApplyAsync(Trend(30, 100), new PersistenceForecaster());

        Assert.True(live.Refits >= 1);
        Assert.Equal(live.Refits, restored.Refits);
        Assert.Equal(expected.Predictions.SelectMany(p => p.Steps), actual.Predictions.SelectMany(p => p.Steps));
        Assert.Equal(live.Status() with { ModelState = [] }, restored.Status() with { ModelState = [] });
        Assert.Equal(live.Export().DriftRun, restored.Export().DriftRun);
    }

    private static double Value(int minute) => 20 + (0.2 * minute) + (3 * Math.Sin(minute));

    /// <summary>A seasonal level that climbs far past the warm-up's scale.</summary>
    private static SensorReading[] Trend(int from, int to) =>
        [.. Enumerable.Range(from, to - from).Select(m => new SensorReading(Sensor, T0.AddMinutes(m), Value(m)))];

    /// <summary>A steady seasonal sensor around 10.</summary>
    private static SensorReading[] Seasonal(int from, int to) =>
        [.. Enumerable.Range(from, to - from).Select(m => new SensorReading(Sensor, T0.AddMinutes(m), 10 + Math.Sin(m)))];
}
