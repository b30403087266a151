using Forecast.Abstractions;

namespace Forecast.Grains;

/// <summary>What one <see cref="SensorStream.ApplyAsync(IReadOnlyList{SensorReading}, IForecaster, CancellationToken)"/> call produced.</summary>
internal sealed class StreamOutput(int capacity)
{
    public List<SensorReading> Readings { get; } = new(capacity);

    public List<Prediction> Predictions { get; } = new(capacity);

    /// <summary>Per applied reading: its score against the forecast made for it, NaN when it was not scored.</summary>
    public List<double> Scores { get; } = new(capacity);

    public List<Anomaly> Anomalies { get; } = [];

    /// <summary>Changes of the sensor's alert, for the silo's alert outbox.</summary>
    public List<AlertEvent> Alerts { get; } = [];

    public int Duplicates { get; set; }

    public int OutOfOrder { get; set; }

    public int Invalid { get; set; }

    public void Add(SensorReading reading, Prediction prediction, double score)
    {
        Readings.Add(reading);
        Predictions.Add(prediction);
        Scores.Add(score);
    }

    public ApplyResult ToResult() =>
        new(Predictions.Count, Duplicates, OutOfOrder, Invalid, Anomalies.Count, Anomalies.Count(a => a.Timestamp == a.EpisodeStart));

    public SinkBatch ToSinkBatch() => new(Readings, Predictions, Anomalies);
}
