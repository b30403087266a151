using System.Diagnostics.Metrics;

namespace Forecast.Sinks.InfluxDb;

/// <summary>The sink's instruments, on Forecast's meter.</summary>
internal sealed class InfluxDbSinkTelemetry : IDisposable
{
    private readonly Meter _meter;

    // A meter from the host's factory is the factory's to dispose (and shared with the rest of Forecast).
    private readonly bool _owned;

    public InfluxDbSinkTelemetry(IMeterFactory? meterFactory, InfluxDbSinkHealth health)
    {
        _owned = meterFactory is null;
        _meter = meterFactory?.Create(InfluxDbSinkExtensions.MeterName) ?? new Meter(InfluxDbSinkExtensions.MeterName);
        PointsWritten = _meter.CreateCounter<long>("forecast.influxdb.points.written", "{point}", "Points InfluxDB acknowledged.");
        PointsRejected = _meter.CreateCounter<long>("forecast.influxdb.points.rejected", "{point}", "Points InfluxDB refused for good (partial writes).");
        NonFiniteValues = _meter.CreateCounter<long>("forecast.influxdb.values.non_finite", "{value}", "NaN or infinite values refused before sending.");
        Requests = _meter.CreateCounter<long>("forecast.influxdb.requests", "{request}", "HTTP write requests, retries included.");
        FailedRequests = _meter.CreateCounter<long>("forecast.influxdb.requests.failed", "{request}", "Write requests that failed and were retried.");
        RequestDuration = _meter.CreateHistogram<double>(
            "forecast.influxdb.request.duration", "s", "From sending a write request to InfluxDB's answer (or giving up on it), each retry apart.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _meter.CreateObservableGauge("forecast.influxdb.buffered_lines", () => health.BufferedLines, "{line}", "Lines held by the sink.");
    }

    public Counter<long> PointsWritten { get; }

    public Counter<long> PointsRejected { get; }

    public Counter<long> NonFiniteValues { get; }

    public Counter<long> Requests { get; }

    public Counter<long> FailedRequests { get; }

    public Histogram<double> RequestDuration { get; }

    public void Dispose()
    {
        if (_owned)
        {
            _meter.Dispose();
        }
    }
}
