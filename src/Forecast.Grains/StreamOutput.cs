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

    /// <summary>Readings scored one step ahead: the live accuracy of the model (see <see cref="IModelAccuracy"/>).</summary>
    public int Scored { get; private set; }

    /// <summary>Sum of |reading − forecast| of the scored readings, in units of the sensor's scale.</summary>
    public double AbsoluteError { get; private set; }

    /// <summary>Scored readings inside the prediction interval.</summary>
    public int Covered { get; private set; }

    public void Tally(double absoluteError, bool covered)
    {
        Scored++;
        AbsoluteError += absoluteError;
        Covered += covered ? 1 : 0;
    }

    public void Add(SensorReading reading, Prediction prediction, double score)
    {
        Readings.Add(reading);
        Predictions.Add(prediction);
        Scores.Add(score);
    }

    public ApplyResult ToResult() =>
        new(Predictions.Count, Duplicates, OutOfOrder, Invalid, Anomalies.Count, Anomalies.Count(a => a.Timestamp == a.EpisodeStart));

    /// <summary>The sink's batch, with a shadow version's predictions (<paramref name="shadow"/>) beside these, if any.</summary>
    public SinkBatch ToSinkBatch(IReadOnlyList<Prediction>? shadow = null) =>
        new(Readings, Predictions, Anomalies, Shadow: shadow is { Count: > 0 } ? shadow : null);
}
