namespace Forecast.Abstractions;

/// <summary>Where predictions and anomalies go: InfluxDB, or the embedded store.</summary>
public interface IPredictionSink
{
    /// <summary>
    /// Writes a batch. The returned task completes only once the batch is durably stored, and
    /// faults when it cannot be; callers acknowledge their input only after it completes. Waits
    /// (never drops) while the sink's buffer is full.
    /// </summary>
    ValueTask WriteAsync(SinkBatch batch, CancellationToken cancellationToken = default);
}

/// <summary>The output of one grain call.</summary>
/// <param name="Readings">The applied readings, for sinks that mirror raw readings.</param>
/// <param name="Predictions">One prediction per applied reading.</param>
/// <param name="Anomalies">Anomaly events raised by these readings.</param>
public sealed record SinkBatch(
    IReadOnlyList<SensorReading> Readings,
    IReadOnlyList<Prediction> Predictions,
    IReadOnlyList<Anomaly> Anomalies);
