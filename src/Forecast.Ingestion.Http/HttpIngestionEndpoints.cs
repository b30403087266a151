using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Forecast.Ingestion.Http;

/// <summary>
/// HTTP ingest, answering the way InfluxDB and Telegraf's listener do: <c>POST /api/v2/write</c> (and <c>/write</c>,
/// InfluxDB 1.x's path) take line protocol with <c>?precision=ns|us|ms|s</c>; <c>POST /readings</c> takes the JSON
/// reading formats of the Kafka topic. 204 once every reading is durable; 400 naming the first bad line (the whole
/// request is refused); 401/403 for keys; 413 over <see cref="HttpIngestionOptions.MaxBodyBytes"/>; 429 with
/// <c>Retry-After</c> over <see cref="HttpIngestionOptions.MaxInFlight"/>; 503 with <c>Retry-After</c> when the
/// readings could not be made durable (send them again: a reading already applied is ignored as a duplicate).
/// </summary>
public static partial class HttpIngestionEndpoints
{
    /// <summary>Maps the write endpoints and <c>/ping</c>; register them first with <c>AddHttpIngestion</c>.</summary>
    public static IEndpointRouteBuilder MapHttpIngestion(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v2/write", (HttpContext context, HttpIngestion edge) => edge.WriteAsync(context, json: false));
        app.MapPost("/write", (HttpContext context, HttpIngestion edge) => edge.WriteAsync(context, json: false));
        app.MapPost("/readings", (HttpContext context, HttpIngestion edge) => edge.WriteAsync(context, json: true));
        // InfluxDB clients and Telegraf check that the server is there before writing.
        app.MapMethods("/ping", ["GET", "HEAD"], (HttpContext context) =>
        {
            context.Response.Headers["X-Influxdb-Version"] = "forecast";
            return Results.NoContent();
        });
        return app;
    }
}
