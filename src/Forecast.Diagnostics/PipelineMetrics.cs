using Forecast.Abstractions;

namespace Forecast.Diagnostics;

/// <summary>What the readings sent to sensor grains came to: counts and reading-to-durable-prediction latency.</summary>
public sealed class PipelineMetrics
{
    private long _sent;
    private long _applied;
    private long _ignored;
    private long _invalid;
    private long _anomalies;
    private long _failedCalls;

    /// <summary>Latency from when readings were made (or produced to Kafka) to when their predictions were durable.</summary>
    public LatencyHistogram Latency { get; } = new();

    /// <summary>Readings handed to sensor grains.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Readings applied, each with one durable prediction.</summary>
    public long Applied => Interlocked.Read(ref _applied);

    /// <summary>Duplicates and late readings the grains ignored.</summary>
    public long Ignored => Interlocked.Read(ref _ignored);

    /// <summary>Readings the grains rejected as invalid.</summary>
    public long Invalid => Interlocked.Read(ref _invalid);

    /// <summary>Anomaly events raised.</summary>
    public long Anomalies => Interlocked.Read(ref _anomalies);

    /// <summary>Grain calls that failed.</summary>
    public long FailedCalls => Interlocked.Read(ref _failedCalls);

    /// <summary>Counts readings handed to grains.</summary>
    public void RecordSent(int readings) => Interlocked.Add(ref _sent, readings);

    /// <summary>Counts one grain call's result and its latency (null: not timed).</summary>
    public void RecordResult(ApplyResult result, TimeSpan? latency)
    {
        Interlocked.Add(ref _applied, result.Applied);
        Interlocked.Add(ref _ignored, result.Duplicates + result.OutOfOrder);
        Interlocked.Add(ref _invalid, result.Invalid);
        Interlocked.Add(ref _anomalies, result.Anomalies);
        if (latency is { } elapsed)
        {
            Latency.Record(elapsed);
        }
    }

    /// <summary>Counts a failed grain call.</summary>
    public void RecordFailure() => Interlocked.Increment(ref _failedCalls);
}
