namespace Forecast.Sinks.InfluxDb.Tests;

/// <summary>Deterministic predictions, readings and anomalies, as grains would produce them.</summary>
internal static class TestData
{
    public static readonly DateTimeOffset Start = new(2024, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public static Prediction Prediction(string sensor, int sequence, int horizon = 6, string model = "lstm@1.0.0")
    {
        var issued = Start.AddSeconds(10 * sequence);
        var steps = new ForecastStep[horizon];
        for (var s = 0; s < horizon; s++)
        {
            var mean = 20 + (sequence * 0.125) + (s / 3.0) + (sensor.Length * 0.001);
            steps[s] = new ForecastStep(s + 1, issued.AddSeconds(10 * (s + 1)), mean, mean - 1.1 - (0.2 * s), mean + 1.1 + (0.2 * s));
        }

        return new Prediction(sensor, model, issued, steps);
    }

    public static SensorReading Reading(string sensor, int sequence) => new(sensor, Start.AddSeconds(10 * sequence), 20 + (sequence * 0.125) + 0.01);

    public static Anomaly Anomaly(string sensor, int sequence, AnomalySeverity severity = AnomalySeverity.Warning) => new(
        sensor, Start.AddSeconds(10 * sequence), 42.5, 20.25, 18.0, 22.5, 7.75, severity, "lstm@1.0.0", Start.AddSeconds(10 * sequence));

    /// <summary>One grain call's output: <paramref name="count"/> readings of a sensor with their predictions.</summary>
    public static SinkBatch Batch(string sensor, int first, int count, int horizon = 6) => new(
        [.. Enumerable.Range(first, count).Select(i => Reading(sensor, i))],
        [.. Enumerable.Range(first, count).Select(i => Prediction(sensor, i, horizon))],
        []);

    public static InfluxDbSinkOptions V1(string url, string database) => new()
    {
        Url = url,
        Version = InfluxDbVersion.V1,
        Database = database,
        Linger = TimeSpan.FromMilliseconds(20),
        InitialBackoff = TimeSpan.FromMilliseconds(20),
        MaxBackoff = TimeSpan.FromMilliseconds(500),
        RequestTimeout = TimeSpan.FromSeconds(10),
    };
}
