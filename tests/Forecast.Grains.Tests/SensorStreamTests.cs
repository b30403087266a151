using Forecast.Abstractions;

namespace Forecast.Grains.Tests;

public sealed class SensorStreamTests
{
    private const string Sensor = "plant-1/pump-7:temp";
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 10, 0, 0, TimeSpan.Zero);
    private readonly PersistenceForecaster _forecaster = new();
    private readonly SensorStream _stream = new(Sensor, new AnomalyOptions());

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

    private static SensorReading Reading(int minute, double? value = null) =>
        new(Sensor, T0.AddMinutes(minute), value ?? (20 + minute));

    private static SensorReading[] Readings(params int[] minutes) => [.. minutes.Select(m => Reading(m))];
}
