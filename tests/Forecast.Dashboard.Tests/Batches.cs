namespace Forecast.Dashboard.Tests;

/// <summary>Sink batches as a sensor grain writes them: one prediction per reading, issued at the reading's time.</summary>
internal static class Batches
{
    public static readonly DateTimeOffset Start = new(2026, 5, 1, 10, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Readings <paramref name="first"/> to <paramref name="first"/> + <paramref name="count"/> - 1 of
    /// <paramref name="sensor"/>, one a second from <see cref="Start"/>: value = index, and each prediction
    /// forecasts index + 1 with a band of ±0.5 for the next second.
    /// </summary>
    public static SinkBatch Readings(string sensor, int first, int count, string model = "lstm-test@1", params Anomaly[] anomalies)
    {
        var readings = new List<SensorReading>(count);
        var predictions = new List<Prediction>(count);
        for (var i = first; i < first + count; i++)
        {
            var time = Start.AddSeconds(i);
            readings.Add(new SensorReading(sensor, time, i));
            predictions.Add(new Prediction(sensor, model, time,
            [
                new ForecastStep(1, time.AddSeconds(1), i + 1, i + 0.5, i + 1.5),
                new ForecastStep(2, time.AddSeconds(2), i + 2, i + 1, i + 3),
            ]));
        }

        return new SinkBatch(readings, predictions, anomalies);
    }

    public static Anomaly Anomaly(string sensor, int index, AnomalySeverity severity = AnomalySeverity.Warning, int? episodeStart = null) =>
        new(sensor, Start.AddSeconds(index), index, index - 5, index - 6, index - 4, 7.5, severity, "lstm-test@1", Start.AddSeconds(episodeStart ?? index));
}
