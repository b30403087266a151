using Forecast.Dashboard.History;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Forecast.Dashboard.Api;

/// <summary>The dashboard's pages and its query API; every answer is bounded, and a bad parameter gets a 400 naming it.</summary>
internal static class DashboardEndpoints
{
    private const int DefaultSensors = 50;
    private const int MaxSensors = 1_000;
    private const int DefaultAnomalies = 100;
    private const int MaxAnomalies = 1_000;
    private const string SeriesSuffix = "/series";
    private static readonly TimeSpan DefaultRange = TimeSpan.FromMinutes(15);

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpContext context, DashboardAssets assets) => assets.Serve(context, "index.html", immutable: false))
            .ExcludeFromDescription();
        app.MapGet("/assets/{**path}", (HttpContext context, string path, DashboardAssets assets) => assets.Serve(context, "assets/" + path, immutable: true))
            .ExcludeFromDescription();

        var api = app.MapGroup("/api");
        api.MapGet("/sensors", Sensors);
        api.MapGet("/sensors/{**path}", Sensor);
        api.MapGet("/anomalies", Anomalies);
        api.MapGet("/fleet", async (FleetMonitor fleet, CancellationToken cancellationToken) =>
            Results.Json(await fleet.SummaryAsync(cancellationToken), DashboardJson.Options));
        api.MapGet("/events", (DashboardFeed feed, CancellationToken cancellationToken) =>
            TypedResults.ServerSentEvents(feed.SubscribeAsync(cancellationToken)));
    }

    internal static IResult Sensors(string? query, string? limit, RecentHistory history)
    {
        if (!QueryParameters.TryQuery("query", query, out var text, out var error)
            || !QueryParameters.TryLimit("limit", limit, DefaultSensors, MaxSensors, out var count, out error))
        {
            return BadRequest(error);
        }

        var sensors = history.Sensors(text, count, out var matched);
        return Results.Json(new SensorListView(matched, count, [.. sensors.Select(SensorView.From)]), DashboardJson.Options);
    }

    /// <summary><c>/api/sensors/{id}/series</c> (ids contain slashes, so the route takes the rest of the path) or <c>/api/sensors/{id}</c>.</summary>
    internal static IResult Sensor(string path, string? from, string? to, RecentHistory history, TimeProvider clock, IOptions<DashboardOptions> options)
    {
        var series = path.EndsWith(SeriesSuffix, StringComparison.Ordinal);
        var id = series ? path[..^SeriesSuffix.Length] : path;
        if (string.IsNullOrWhiteSpace(id))
        {
            return BadRequest("Name a sensor: /api/sensors/{id}/series.");
        }

        if (!series && (from is not null || to is not null))
        {
            return BadRequest($"Parameters 'from' and 'to' belong to /api/sensors/{id}/series.");
        }

        var now = clock.GetUtcNow();
        if (!QueryParameters.TryTime("from", from, now, now - DefaultRange, out var start, out var error)
            || !QueryParameters.TryTime("to", to, now, now, out var end, out error))
        {
            return BadRequest(error);
        }

        if (start > end)
        {
            return BadRequest($"Parameter 'from' ({start:O}) is after 'to' ({end:O}): give a range that starts before it ends.");
        }

        if (history.Find(id) is not { } sensor)
        {
            return Results.Problem(
                $"This silo has written nothing for sensor '{id}' recently (the dashboard shows what each silo wrote; look for the sensor on its own silo).",
                statusCode: StatusCodes.Status404NotFound);
        }

        if (!series)
        {
            return Results.Json(SensorView.From(sensor.Summary()), DashboardJson.Options);
        }

        var snapshot = sensor.Series(start!.Value.ToUnixTimeMilliseconds(), end!.Value.ToUnixTimeMilliseconds(), options.Value.MaxSeriesPoints);
        return Results.Json(SeriesView.Create(snapshot, start.Value, end.Value), DashboardJson.Options);
    }

    internal static IResult Anomalies(string? from, string? severity, string? limit, RecentHistory history, TimeProvider clock)
    {
        if (!QueryParameters.TryTime("from", from, clock.GetUtcNow(), null, out var start, out var error)
            || !QueryParameters.TrySeverity("severity", severity, out var level, out error)
            || !QueryParameters.TryLimit("limit", limit, DefaultAnomalies, MaxAnomalies, out var count, out error))
        {
            return BadRequest(error);
        }

        return Results.Json(history.Anomalies(start, level, count).Select(AnomalyView.From), DashboardJson.Options);
    }

    private static IResult BadRequest(string? detail) =>
        Results.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Bad parameter");
}
