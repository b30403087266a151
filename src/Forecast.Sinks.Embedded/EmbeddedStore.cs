using System.Collections.Concurrent;
using Forecast.Abstractions;

namespace Forecast.Sinks.Embedded;

/// <summary>
/// The default <see cref="IPredictionSink"/> when no InfluxDB is configured: the latest prediction of every
/// sensor in memory, and counts; the dashboard keeps its own recent history of readings and anomalies. A batch
/// is durable once it is held here. A prediction issued at or before one already held for its sensor is an idempotent rewrite and is
/// counted as such, which is how replays show up.
/// </summary>
public sealed class EmbeddedStore : IPredictionSink
{
    private readonly ConcurrentDictionary<string, Entry> _latest = new(StringComparer.Ordinal);
    private long _predictions;
    private long _rewrites;
    private long _anomalyCount;

    /// <summary>Predictions stored (a newer one per sensor replaces the one before).</summary>
    public long Predictions => Interlocked.Read(ref _predictions);

    /// <summary>Predictions not newer than the one held for their sensor: idempotent rewrites, such as replays.</summary>
    public long Rewrites => Interlocked.Read(ref _rewrites);

    /// <summary>Anomaly events received.</summary>
    public long Anomalies => Interlocked.Read(ref _anomalyCount);

    /// <summary>Sensors with a prediction held.</summary>
    public int Sensors => _latest.Count;

    /// <inheritdoc />
    public ValueTask WriteAsync(SinkBatch batch, CancellationToken cancellationToken = default)
    {
        foreach (var prediction in batch.Predictions)
        {
            foreach (var step in prediction.Steps)
            {
                if (!double.IsFinite(step.Mean) || !double.IsFinite(step.Lower) || !double.IsFinite(step.Upper))
                {
                    return ValueTask.FromException(new ArgumentException(
                        $"Prediction for {prediction.SensorId} at {prediction.IssuedAt:O} has a non-finite value at step {step.Step}; it is not stored."));
                }
            }
        }

        foreach (var prediction in batch.Predictions)
        {
            var entry = _latest.GetOrAdd(prediction.SensorId, static _ => new Entry());
            lock (entry)
            {
                if (entry.Latest is { } held && prediction.IssuedAt <= held.IssuedAt)
                {
                    Interlocked.Increment(ref _rewrites);
                    continue;
                }

                entry.Latest = prediction;
            }

            Interlocked.Increment(ref _predictions);
        }

        Interlocked.Add(ref _anomalyCount, batch.Anomalies.Count);
        return ValueTask.CompletedTask;
    }

    /// <summary>The latest prediction held for <paramref name="sensorId"/>, or null.</summary>
    public Prediction? Latest(string sensorId) => _latest.TryGetValue(sensorId, out var entry) ? entry.Latest : null;

    private sealed class Entry
    {
        public Prediction? Latest { get; set; }
    }
}
