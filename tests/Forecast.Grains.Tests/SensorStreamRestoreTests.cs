using static Forecast.Grains.Tests.SensorTestData;

namespace Forecast.Grains.Tests;

public sealed class SensorStreamRestoreTests
{
    [Fact]
    public async Task Restore_ContinuesExactlyAsTheExportedStream()
    {
        var options = new AnomalyOptions();
        var live = new SensorStream(Sensor, options);
        await live.ApplyAsync(Readings(0, 1, 2, 3, 4, 5), new PersistenceForecaster());
        var restored = SensorStream.Restore(Sensor, options, live.Export());
        Assert.Equal(live.Status().ModelState, restored.Status().ModelState);
        Assert.Equal(live.Status() with { ModelState = [] }, restored.Status() with { ModelState = [] });

        var expected = await live.ApplyAsync(Readings(6, 8, 9), new PersistenceForecaster());
        var actual = await restored.ApplyAsync(Readings(6, 8, 9), new PersistenceForecaster());

        Assert.Equal(expected.Predictions.SelectMany(p => p.Steps), actual.Predictions.SelectMany(p => p.Steps));
        Assert.Equal(live.Status().ModelState, restored.Status().ModelState);
        Assert.Equal(live.Export().Ring!.Values, restored.Export().Ring!.Values);
    }

    [Fact]
    public async Task Restore_IgnoresReplaysOfReadingsAppliedBeforeTheCheckpoint()
    {
        var live = new SensorStream(Sensor, new AnomalyOptions());
        await live.ApplyAsync(Readings(0, 1, 2, 3, 4, 5), new PersistenceForecaster());
        var restored = SensorStream.Restore(Sensor, new AnomalyOptions(), live.Export());

        var output = await restored.ApplyAsync(Readings(4, 5), new PersistenceForecaster());

        Assert.Empty(output.Predictions);
        Assert.Equal((1, 1), (output.Duplicates, output.OutOfOrder));
    }

    [Fact]
    public async Task Restore_RewarmsFromTheRing_WhenTheStateBelongsToAnotherModel()
    {
        var forecaster = new PersistenceForecaster();
        var live = new SensorStream(Sensor, new AnomalyOptions());
        await live.ApplyAsync(Readings(0, 1, 2, 3, 4, 5), forecaster);
        var restored = SensorStream.Restore(Sensor, new AnomalyOptions(), live.Export());
        forecaster.Model = forecaster.Model with { Version = "2" };

        var output = await restored.ApplyAsync(Readings(6), forecaster);

        Assert.Equal(7, forecaster.Calls[^1].Length);
        Assert.Equal("persistence@2", Assert.Single(output.Predictions).Model);
    }

    private static SensorReading[] Readings(params int[] minutes) =>
        [.. minutes.Select(m => new SensorReading(Sensor, T0.AddMinutes(m), 20 + m + (m % 3)))];
}
