using static Forecast.Grains.Tests.SensorTestData;

namespace Forecast.Grains.Tests;

public sealed class SensorStreamTests
{
    private readonly PersistenceForecaster _forecaster = new();
    // A short learning period, so the spikes of these short series are judged.
    private readonly SensorStream _stream = new(Sensor, new AnomalyOptions { LearningReadings = 30 });

    [Fact]
    public async Task ApplyAsync_PredictsRepeatLast_DuringWarmup_ThenPrimesTheModelWithTheWholeWarmup()
    {
        var output = await _stream.ApplyAsync(Readings(0, 1, 2, 3, 4), _forecaster);

        Assert.Equal(5, output.Predictions.Count);
        Assert.All(output.Predictions.Take(3), p => Assert.Equal(SensorStream.WarmupModelId, p.Model));
        Assert.Equal(22, output.Predictions[2].Steps[0].Mean);
        Assert.All(output.Predictions.Skip(3), p => Assert.Equal("persistence@1", p.Model));
        Assert.Equal([4, 1], _forecaster.Calls.Select(c => c.Length));
        Assert.True(_stream.Status().WarmedUp);
        Assert.Equal(5, _stream.Status().ModelState[0]);
    }

    [Fact]
    public async Task ApplyAsync_AppliesInEventTimeOrder_WhenABatchArrivesShuffled()
    {
        var output = await _stream.ApplyAsync(Readings(3, 0, 2, 1), _forecaster);

        Assert.Equal([0, 1, 2, 3], output.Readings.Select(r => (int)(r.Timestamp - T0).TotalMinutes));
        Assert.Equal(0, output.OutOfOrder);
    }

    [Fact]
    public async Task ApplyAsync_IgnoresAndCountsDuplicatesAndLateReadings_WithoutTouchingState()
    {
        await _stream.ApplyAsync(Readings(0, 1, 2, 3, 4, 5), _forecaster);
        var before = _stream.Status();
        var calls = _forecaster.Calls.Count;

        var output = await _stream.ApplyAsync([Reading(5), Reading(5), Reading(2), Reading(0)], _forecaster);

        Assert.Equal(new ApplyResult(0, 2, 2, 0, 0), output.ToResult());
        Assert.Equal(calls, _forecaster.Calls.Count);
        var after = _stream.Status();
        Assert.Equal(before.ModelState, after.ModelState);
        Assert.Equal(before.LastApplied, after.LastApplied);
        Assert.Equal((2, 2), (after.Duplicates, after.OutOfOrder));
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public async Task ApplyAsync_RejectsNonFiniteValues_WithoutTouchingState(double value)
    {
        await _stream.ApplyAsync(Readings(0, 1, 2, 3, 4), _forecaster);
        var before = _stream.Status();

        var output = await _stream.ApplyAsync([Reading(5) with { Value = value }, Reading(6)], _forecaster);

        Assert.Equal(1, output.Invalid);
        Assert.Single(output.Predictions);
        Assert.Equal(before.ScalerMean, _stream.Status().ScalerMean);
        Assert.Equal(T0.AddMinutes(6), _stream.LastApplied);
    }

    [Fact]
    public async Task ApplyAsync_RejectsAnotherSensorsReading()
    {
        var output = await _stream.ApplyAsync([Reading(0) with { SensorId = "someone-else" }], _forecaster);

        Assert.Equal(1, output.Invalid);
        Assert.Null(_stream.LastApplied);
    }

    [Fact]
    public async Task ApplyAsync_FillsAShortGapWithTheForecast_AndDatesStepsByTheSensorsInterval()
    {
        await _stream.ApplyAsync(Readings(0, 1, 2, 3), _forecaster);

        var output = await _stream.ApplyAsync([Reading(6)], _forecaster);

        Assert.Equal(3, _forecaster.Calls[^1].Length); // two imputed steps, then the reading
        Assert.Equal(
            [T0.AddMinutes(7), T0.AddMinutes(8), T0.AddMinutes(9)],
            output.Predictions[0].Steps.Select(s => s.TargetTime));
    }

    [Fact]
    public async Task ApplyAsync_RaisesOneAnomalyForASpike_AndClipsItBeforeTheModel()
    {
        var values = new List<SensorReading>();
        for (var i = 0; i < 60; i++)
        {
            values.Add(Reading(i, 10 + Math.Sin(i)));
        }

        values.Add(Reading(60, 100));
        values.Add(Reading(61, 100));
        var output = await _stream.ApplyAsync(values, _forecaster);

        var anomaly = Assert.Single(output.Anomalies);
        Assert.Equal(T0.AddMinutes(60), anomaly.Timestamp);
        Assert.Equal(100, anomaly.Value);
        Assert.Equal(AnomalySeverity.Critical, anomaly.Severity);
        Assert.True(anomaly.Upper < 100);
        Assert.True(_stream.Status().EpisodeOpen);
        Assert.True(_forecaster.Calls[^2][0] < _stream.Status().ScalerMean + (11 * _stream.Status().ScalerScale));
    }

    [Fact]
    public async Task ApplyAsync_Propagates_WhenTheModelFails()
    {
        await _stream.ApplyAsync(Readings(0, 1, 2), _forecaster);
        _forecaster.FailWith = new InvalidOperationException("model down");

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await _stream.ApplyAsync(Readings(3), _forecaster));
    }

    [Fact]
    public async Task ApplyAsync_RewarmsFromTheRing_WhenTheModelChanges()
    {
        await _stream.ApplyAsync(Readings(0, 1, 2, 3, 4, 5), _forecaster);
        _forecaster.Model = _forecaster.Model with { Version = "2" };

        var output = await _stream.ApplyAsync(Readings(6), _forecaster);

        Assert.Equal(7, _forecaster.Calls[^1].Length);
        Assert.Equal("persistence@2", output.Predictions[0].Model);
    }

    [Fact]
    public async Task ApplyAsync_FeedsAWindowModelTheLastWindow_OnceTheRingHoldsOne()
    {
        var window = new WindowMeanForecaster();
        var stream = Unalarmed();

        var output = await stream.ApplyAsync(Readings(0, 1, 2, 3, 4, 5, 6), window);

        // Warm-up is 4 readings but the window is 6: repeat-last until six readings are buffered.
        Assert.All(output.Predictions.Take(5), p => Assert.Equal(SensorStream.WarmupModelId, p.Model));
        Assert.All(output.Predictions.Skip(5), p => Assert.Equal("window-mean@1", p.Model));
        Assert.Equal([6, 6], window.Calls.Select(c => c.Length));
        var status = stream.Status();
        Assert.Empty(status.ModelState);
        Assert.Equal(21.5, status.ScalerMean); // fitted on the first 4 readings only
        Assert.Equal(Normalised(status, 21, 22, 23, 24, 25, 26), window.Calls[^1]);
        var expected = status.ScalerMean + (window.Calls[^1].Average() * status.ScalerScale);
        Assert.Equal(expected, output.Predictions[^1].Steps[0].Mean, 4);
        Assert.False(double.IsNaN(output.Scores[^1]));
        Assert.True(double.IsNaN(output.Scores[0]));
    }

    [Fact]
    public async Task ApplyAsync_FillsAWindowModelsGapWithTheForecast()
    {
        var window = new WindowMeanForecaster();
        var stream = Unalarmed();
        await stream.ApplyAsync(Readings(0, 1, 2, 3, 4, 5), window);
        var gapForecast = window.Calls[^1].Average();

        await stream.ApplyAsync([Reading(8)], window);

        var status = stream.Status();
        var last = window.Calls[^1];
        Assert.Equal(Normalised(status, 23, 24, 25), last[..3]);
        Assert.Equal(gapForecast, last[3], 5);
        Assert.Equal(gapForecast, last[4], 5);
        Assert.Equal(Normalised(status, 28), last[5..]);
    }

    [Fact]
    public async Task ApplyAsync_KeepsASpikeClippedInLaterWindows()
    {
        var window = new WindowMeanForecaster();
        var readings = Enumerable.Range(0, 40).Select(i => Reading(i, i % 2 == 0 ? 10.1 : 9.9)).ToList();
        readings.Add(Reading(40, 1000));
        readings.Add(Reading(41, 10.1));

        var output = await _stream.ApplyAsync(readings, window);

        Assert.Equal(T0.AddMinutes(40), Assert.Single(output.Anomalies).Timestamp);
        var spike = window.Calls[^1][^2]; // the spike, one step later, still as the model first saw it
        Assert.Equal(window.Calls[^2][^1], spike);
        Assert.InRange(spike, 1, 5); // clamped to the opening threshold, far below the clip (10) the raw value would hit
    }

    [Fact]
    public async Task ApplyAsync_RewarmsAWindowModelFromTheRing_WhenTheModelChanges()
    {
        await _stream.ApplyAsync(Readings(0, 1, 2, 3, 4, 5, 6, 7), _forecaster);
        var window = new WindowMeanForecaster();

        var output = await _stream.ApplyAsync(Readings(8), window);

        Assert.Equal("window-mean@1", Assert.Single(output.Predictions).Model);
        Assert.Equal(Normalised(_stream.Status(), 23, 24, 25, 26, 27, 28), Assert.Single(window.Calls));
    }

    /// <summary>A stream that never clamps a reading before the model.</summary>
    private static SensorStream Unalarmed() => new(Sensor, new AnomalyOptions { ClampScore = 1e9, CriticalScore = 2e9 });

    private static float[] Normalised(SensorStatus status, params double[] values) =>
        [.. values.Select(v => (float)((v - status.ScalerMean) / status.ScalerScale))];

    private static SensorReading Reading(int minute, double? value = null) =>
        new(Sensor, T0.AddMinutes(minute), value ?? (20 + minute));

    private static SensorReading[] Readings(params int[] minutes) => [.. minutes.Select(m => Reading(m))];
}
