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
/// <param name="Metrics">Live accuracy per model version (written by the model registry, not by sensors).</param>
/// <param name="Shadow">
/// A shadow version's predictions for the same readings (<see cref="Prediction.Stage"/> <c>shadow</c>), when the
/// sensor is in a shadow cohort: for comparison only, so sinks that serve or show forecasts leave them out.
/// </param>
public sealed record SinkBatch(
    IReadOnlyList<SensorReading> Readings,
    IReadOnlyList<Prediction> Predictions,
    IReadOnlyList<Anomaly> Anomalies,
    IReadOnlyList<ModelMetrics>? Metrics = null,
    IReadOnlyList<Prediction>? Shadow = null);

/// <summary>
/// A model version's live one-step error over the registry's sliding window, written as <c>model_metrics</c>
/// (tags <c>model</c>, <c>stage</c>; fields <c>mae</c>, <c>coverage</c>, <c>readings</c>).
/// </summary>
/// <param name="Model">The version, as <c>name@version</c>.</param>
/// <param name="Stage">primary, canary, shadow, or retired.</param>
/// <param name="At">When the window ended.</param>
/// <param name="Readings">Readings scored in the window.</param>
/// <param name="Mae">Mean absolute one-step error, in units of each sensor's scale.</param>
/// <param name="Coverage">Share of the readings inside the prediction interval.</param>
public sealed record ModelMetrics(string Model, string Stage, DateTimeOffset At, long Readings, double Mae, double Coverage);
