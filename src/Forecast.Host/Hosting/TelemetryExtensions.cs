using Forecast.Abstractions;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Forecast.Host.Hosting;

/// <summary>
/// OpenTelemetry for a silo: Forecast's meter (<c>forecast.*</c>) and Orleans' (<c>Microsoft.Orleans</c>) served
/// on <c>/metrics</c> in Prometheus' text format; with <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set, metrics and traces
/// (Forecast's spans, from a Kafka message's <c>traceparent</c> through the grain, inference and the sink, and
/// Orleans' own) are also exported over OTLP, configured by the standard <c>OTEL_*</c> variables.
/// </summary>
internal static class TelemetryExtensions
{
    /// <summary>The meters served: Forecast's and Orleans'.</summary>
    public static readonly string[] Meters = [ForecastTelemetry.Name, "Microsoft.Orleans"];

    /// <summary>Whether spans are exported (OTLP is configured): only then are they worth making.</summary>
    public static bool TracesExported(IConfiguration configuration) => !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

    public static IHostApplicationBuilder AddForecastTelemetry(this IHostApplicationBuilder builder)
    {
        var otlp = TracesExported(builder.Configuration);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(builder.Configuration["OTEL_SERVICE_NAME"] ?? "forecast"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(Meters).AddPrometheusExporter();
                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            });
        if (otlp)
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource(ForecastTelemetry.Name, "Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application")
                .AddOtlpExporter());
        }

        return builder;
    }

    /// <summary><c>GET /metrics</c>: the Prometheus scrape endpoint.</summary>
    public static WebApplication MapMetrics(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
