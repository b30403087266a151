using static Forecast.Grains.Tests.SensorTestData;

namespace Forecast.Grains.Tests;

/// <summary>Sensors that misbehave must not raise a storm of anomalies, a NaN score or an exception.</summary>
public sealed class SensorStreamAnomalyTests
{
    private static readonly AnomalyOptions Options = new();

    private static SensorReading At(int minute, double value) => new(Sensor, T0.AddMinutes(minute), value);

    // A slow wave with uniform noise from a fixed seed.
    private static readonly double[] Wave = Waves(new Random(5));

    private static double Noisy(int minute) => Wave[minute];

    private static double[] Waves(Random random) => [.. Enumerable.Range(0, 3000).Select(i => 20 + (2 * Math.Sin(i / 10.0)) + random.NextDouble())];

    [Fact]
    public async Task ApplyAsync_RaisesNothing_ForAConstantSensor()
    {
        var stream = new SensorStream(Sensor, Options);

        var output = await stream.ApplyAsync([.. Enumerable.Range(0, 3000).Select(i => At(i, 42))], new PersistenceForecaster());

        Assert.Empty(output.Anomalies);
        Assert.All(output.Scores, s => Assert.True(double.IsNaN(s) || s is >= 0 and < 0.5, $"score {s}"));
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.0)]
    public async Task ApplyAsync_RaisesNothing_ForAConstantSensor_WhoseModelLeavesFloatDust(double floor)
    {
        // The sensor's own residual scale shrinks to the dust; measured in it, the dust would look like surprises.
        var options = new AnomalyOptions { SurpriseFloor = floor };
        var stream = new SensorStream(Sensor, options);

        var output = await stream.ApplyAsync([.. Enumerable.Range(0, 3000).Select(i => At(i, 42))], new PersistenceForecaster { Dust = 1e-5f });

        var loudest = output.Scores.Where(s => !double.IsNaN(s)).Max();
        Assert.True(floor > 0 ? loudest < 0.1 : loudest >= 0.1, $"loudest score {loudest} with SurpriseFloor {floor}");
    }

    [Fact]
    public async Task ApplyAsync_CountsAFewNaNsAsInvalid_AndScoresTheRest()
    {
        var stream = new SensorStream(Sensor, Options);
        var readings = Enumerable.Range(0, 3000).Select(i => At(i, i % 97 == 0 ? double.NaN : Noisy(i))).ToList();

        var output = await stream.ApplyAsync(readings, new PersistenceForecaster());

        Assert.Equal(31, output.Invalid);
        Assert.Empty(output.Anomalies);
        Assert.All(output.Scores.Skip(10), s => Assert.False(double.IsNaN(s)));
    }

    [Fact]
    public async Task ApplyAsync_RaisesOneCriticalAnomaly_ForAJumpOf1e12_AndKeepsScoring()
    {
        var stream = new SensorStream(Sensor, Options);
        var readings = Enumerable.Range(0, 3000).Select(i => At(i, i == 2000 ? Noisy(i) + 1e12 : Noisy(i))).ToList();

        var output = await stream.ApplyAsync(readings, new PersistenceForecaster());

        var anomaly = Assert.Single(output.Anomalies);
        Assert.Equal((T0.AddMinutes(2000), AnomalySeverity.Critical), (anomaly.Timestamp, anomaly.Severity));
        Assert.All(output.Scores, s => Assert.True(double.IsNaN(s) || s is >= 0 and <= 1, $"score {s}"));
        Assert.All(output.Predictions.Skip(2020), p => Assert.InRange(p.Steps[0].Mean, 10, 30));
    }
}
