using Forecast.Host.Simulation;

namespace Forecast.Host.Tests;

[Collection(ClusterCollection.Name)]
public sealed class SensorGrainTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task ApplyAsync_ReportsAnInjectedSpike_AndForecastsBetterThanRepeatLast()
    {
        const int Readings = 480;
        const int Spike = 360;
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => FeedSeasonalSensorAsync($"spike/sensor-{i}", i, Readings, Spike)));

        var modelMse = results.Average(r => r.ModelMse);
        var naiveMse = results.Average(r => r.RepeatLastMse);
        output.WriteLine($"one-step MSE on the clean part: model {modelMse:G4}, repeat last {naiveMse:G4}; false alarms {results.Sum(r => r.FalseAlarms)}");
        Assert.All(results, r => Assert.True(r.SpikeReported, $"{r.Sensor}: no anomaly at the spike"));
        Assert.True(modelMse < naiveMse, $"model MSE {modelMse} is not below repeat-last {naiveMse}");
        Assert.True(results.Sum(r => r.FalseAlarms) <= results.Length, "more than one false alarm per sensor on clean data");
    }

    [Fact]
    public async Task ApplyAsync_CountsAndRejectsBadInput_WithoutDisturbingState()
    {
        const string Id = "bad-input/sensor";
        var sensor = fixture.Sensor(Id);
        await sensor.ApplyAsync(new SensorReadings([.. Enumerable.Range(0, 60).Select(t => new SensorReading(Id, T0.AddMinutes(t), 50 + Math.Sin(t / 5.0)))]));
        var before = await sensor.GetStatusAsync();
        var predictionsBefore = fixture.Store.Predictions;

        var result = await sensor.ApplyAsync(new SensorReadings(
        [
            new SensorReading(Id, T0.AddMinutes(60), double.NaN),
            new SensorReading(Id, T0.AddMinutes(61), double.PositiveInfinity),
            new SensorReading(Id, T0.AddMinutes(59), 50),
            new SensorReading(Id, T0.AddMinutes(30), 50),
            new SensorReading("another/sensor", T0.AddMinutes(62), 50),
        ]));

        Assert.Equal(new ApplyResult(0, 1, 1, 3, 0), result);
        var after = await sensor.GetStatusAsync();
        Assert.Equal(before.ModelState, after.ModelState);
        Assert.Equal((before.ScalerMean, before.ScalerScale, before.LastApplied), (after.ScalerMean, after.ScalerScale, after.LastApplied));
        Assert.Equal(predictionsBefore, fixture.Store.Predictions);
        Assert.True(after.WarmedUp);
        Assert.Equal("lstm-default@2", after.Model);
    }

    [Fact]
    public async Task ApplyAsync_StoresExactlyOnePredictionPerAppliedReading_AndAReplayChangesNothing()
    {
        const string Id = "replay/sensor";
        var sensor = fixture.Sensor(Id);
        var readings = new SensorReadings([.. Enumerable.Range(0, 80).Select(t => new SensorReading(Id, T0.AddMinutes(t), 10 + (t % 7)))]);
        var predictionsBefore = fixture.Store.Predictions;

        var first = await sensor.ApplyAsync(readings);
        var latest = fixture.Store.Latest(Id);
        var replay = await sensor.ApplyAsync(readings);

        Assert.Equal(80, first.Applied);
        Assert.Equal(80, fixture.Store.Predictions - predictionsBefore);
        Assert.Equal(new ApplyResult(0, 1, 79, 0, 0), replay);
        Assert.Same(latest, fixture.Store.Latest(Id));
        Assert.Equal(T0.AddMinutes(79), latest!.IssuedAt);
        Assert.Equal(12, latest.Steps.Count);
        Assert.All(latest.Steps, s => Assert.True(s.Lower < s.Mean && s.Mean < s.Upper));
    }

    private sealed record FeedResult(string Sensor, double ModelMse, double RepeatLastMse, bool SpikeReported, int FalseAlarms);

    /// <summary>Feeds a simulated seasonal sensor one reading per call with a spike at <paramref name="spike"/>.</summary>
    private async Task<FeedResult> FeedSeasonalSensorAsync(string id, int seed, int readings, int spike)
    {
        var simulated = new SimulatedSensor(id, 1000 + seed, anomalyRate: 0);
        var values = Enumerable.Range(0, readings).Select(t => simulated.Next(t)).ToArray();
        var spread = values.Take(200).Max() - values.Take(200).Min();
        values[spike] += spread * 1.5;

        var grain = fixture.Sensor(id);
        var forecasts = new double[readings];
        var anomalies = new List<DateTimeOffset>();
        for (var t = 0; t < readings; t++)
        {
            var result = await grain.ApplyAsync(new SensorReadings([new SensorReading(id, T0.AddMinutes(t), values[t])]));
            Assert.Equal(1, result.Applied);
            forecasts[t] = fixture.Store.Latest(id)!.Steps[0].Mean;
            if (result.Anomalies > 0)
            {
                anomalies.Add(T0.AddMinutes(t));
            }
        }

        // Clean part: after the model has run a while, away from the spike and its aftermath.
        var clean = Enumerable.Range(100, readings - 101).Where(t => t < spike - 1 || t > spike + 10).ToArray();
        var modelMse = clean.Average(t => Math.Pow(values[t + 1] - forecasts[t], 2));
        var naiveMse = clean.Average(t => Math.Pow(values[t + 1] - values[t], 2));
        return new FeedResult(id, modelMse, naiveMse, anomalies.Contains(T0.AddMinutes(spike)), anomalies.Count(a => a != T0.AddMinutes(spike)));
    }
}
