using Forecast.Abstractions;

namespace Forecast.Host.Diagnostics;

/// <summary>What the readings sent to sensor grains came to: counts and reading-to-durable-prediction latency.</summary>
internal sealed class PipelineMetrics
{
    private long _sent;
    private long _applied;
    private long _ignored;
    private long _invalid;
    private long _anomalies;
    private long _failedCalls;

    public LatencyHistogram Latency { get; } = new();

    public long Sent => Interlocked.Read(ref _sent);

    public long Applied => Interlocked.Read(ref _applied);

    public long Ignored => Interlocked.Read(ref _ignored);

    public long Invalid => Interlocked.Read(ref _invalid);

    public long Anomalies => Interlocked.Read(ref _anomalies);

    public long FailedCalls => Interlocked.Read(ref _failedCalls);

    public void RecordSent(int readings) => Interlocked.Add(ref _sent, readings);

    public void RecordResult(ApplyResult result, TimeSpan latency)
    {
        Interlocked.Add(ref _applied, result.Applied);
        Interlocked.Add(ref _ignored, result.Duplicates + result.OutOfOrder);
        Interlocked.Add(ref _invalid, result.Invalid);
        Interlocked.Add(ref _anomalies, result.Anomalies);
        Latency.Record(latency);
    }

    public void RecordFailure() => Interlocked.Increment(ref _failedCalls);
}
