using Forecast.Alerting.Outbox;
using Forecast.Diagnostics;
using Forecast.Host.Hosting;
using Forecast.Sinks.Embedded;
using Forecast.Inference.Onnx;
using Forecast.Ingestion.Kafka;
using Forecast.Sinks.InfluxDb;

namespace Forecast.Host.Endpoints;

/// <summary>
/// <c>/health/live</c> (the process serves requests), <c>/health/ready</c> (the sink can write; 503
/// while InfluxDB is down), <c>/health</c> (the state of every part, as JSON, alert deliveries and their outbox
/// included), for probes and people, and
/// <c>/metrics</c> for Prometheus.
/// </summary>
internal static class HealthEndpoints
{
    public static WebApplication MapHealthEndpoints(this WebApplication app)
    {
        app.MapGet("/health/live", () => Results.Text("live"));
        app.MapGet("/health/ready", (IServiceProvider services) =>
            services.GetService<InfluxDbSinkHealth>() is { State: InfluxDbSinkState.Down } influx
                ? Results.Text($"InfluxDB sink is down: {influx.LastError}", statusCode: StatusCodes.Status503ServiceUnavailable)
                : Results.Text("ready"));
        app.MapGet("/health", (IServiceProvider services) => Results.Json(Report(services)));
        app.MapMetrics();
        return app;
    }

    private static object Report(IServiceProvider services)
    {
        var metrics = services.GetRequiredService<PipelineMetrics>();
        var inference = services.GetRequiredService<BatchingForecaster>();
        var kafka = services.GetService<KafkaIngestionService>();
        var store = services.GetService<EmbeddedStore>();
        return new
        {
            model = inference.Model.Id,
            inference = inference.Statistics,
            pipeline = new { metrics.Applied, metrics.Ignored, metrics.Invalid, metrics.Anomalies, metrics.FailedCalls, p99LatencyMs = metrics.Latency.PercentileMs(0.99) },
            sink = (object?)services.GetService<InfluxDbSinkHealth>() ?? new { kind = "embedded", store?.Predictions, store?.Anomalies, store?.Sensors },
            kafka = kafka is null ? null : new { kafka.Consumed, kafka.DeadLettered, kafka.InFlight, kafka.Paused, kafka.Pauses },
            // Each alert delivery's counters; storeError says the outbox's store takes no writes (a full disk).
            alerts = services.GetService<AlertOutbox>()?.Channels.Select(c => c.Counters),
        };
    }
}
