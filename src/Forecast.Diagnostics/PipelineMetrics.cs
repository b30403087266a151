using System.Diagnostics.Metrics;
using Forecast.Abstractions;

namespace Forecast.Diagnostics;

/// <summary>
/// What the readings sent to sensor grains came to: counts and reading-to-durable-prediction latency. The
/// counts are also the <c>forecast.readings.*</c> instruments (observed from the same fields, one system for
/// the progress line, the JSON summary and <c>/metrics</c>), and each latency is recorded in
/// <c>forecast.reading.latency</c>.
/// </summary>
public sealed class PipelineMetrics
{
    private readonly Histogram<double>? _latency;
    private long _sent;
    private long _applied;
    private long _ignored;
    private long _invalid;
    private long _anomalies;
    private long _failedCalls;

    /// <summary>Counts only, for code without a host (benchmarks, tests).</summary>
    public PipelineMetrics()
    {
    }

    /// <summary>Counts, also published as instruments of <paramref name="meters"/>' <c>Forecast</c> meter.</summary>
    public PipelineMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(ForecastTelemetry.Name);
        meter.CreateObservableCounter("forecast.readings.sent", () => Sent, "{reading}", "Readings handed to sensor grains.");
        meter.CreateObservableCounter("forecast.readings.applied", () => Applied, "{reading}", "Readings applied, each with one durable prediction.");
        meter.CreateObservableCounter("forecast.readings.ignored", () => Ignored, "{reading}", "Duplicates and late readings the grains ignored.");
        meter.CreateObservableCounter("forecast.readings.invalid", () => Invalid, "{reading}", "Readings the grains rejected as invalid.");
        meter.CreateObservableCounter("forecast.grain_calls.failed", () => FailedCalls, "{call}", "Grain calls that failed.");
        _latency = meter.CreateHistogram<double>(
            "forecast.reading.latency", "s", "From when readings were made (or produced to Kafka) to when their predictions were durable.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
    }

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
            _latency?.Record(elapsed.TotalSeconds);
        }
    }

    /// <summary>Counts a failed grain call.</summary>
    public void RecordFailure() => Interlocked.Increment(ref _failedCalls);
}
