using Forecast.Abstractions;
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
    internal static async Task<IResult> Sensor(
        string path, string? from, string? to, RecentHistory history, TimeProvider clock, IOptions<DashboardOptions> options, IServiceProvider services,
        CancellationToken cancellationToken)
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

        var local = history.Find(id);
        var reader = series ? services.GetService<ISeriesReader>() : null;
        if (local is null && reader is null)
        {
            return Results.Problem(
                $"This silo has written nothing for sensor '{id}' recently (the dashboard shows what each silo wrote; look for the sensor on its own silo).",
                statusCode: StatusCodes.Status404NotFound);
        }

        if (!series)
        {
            return Results.Json(SensorView.From(local!.Summary()), DashboardJson.Options);
        }

        var (fromMs, toMs) = (start!.Value.ToUnixTimeMilliseconds(), end!.Value.ToUnixTimeMilliseconds());
        var snapshot = local?.Series(fromMs, toMs, options.Value.MaxSeriesPoints);
        if (reader is null)
        {
            return Results.Json(SeriesView.Create(snapshot!, start.Value, end.Value, "memory"), DashboardJson.Options);
        }

        // With a durable store the series is read back from it (any silo, any range it keeps); this silo adds the
        // latest forecast and the episodes it knows of, when the sensor lives here.
        StoredSeries stored;
        try
        {
            stored = await reader.ReadAsync(id, start.Value, end.Value, options.Value.MaxSeriesPoints, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return Results.Problem($"The series of '{id}' could not be read from {reader.Source}: {exception.Message}", statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        if (stored.Points.Count == 0 && stored.Anomalies.Count == 0 && local is null)
        {
            return Results.Problem($"{reader.Source} holds nothing for sensor '{id}' from {start:O} to {end:O}.", statusCode: StatusCodes.Status404NotFound);
        }

        var points = stored.Points.Select(p => new SeriesPoint(
            p.Time.ToUnixTimeMilliseconds(), (float)(p.Value ?? double.NaN), (float)(p.Mean ?? double.NaN), (float)(p.Lower ?? double.NaN), (float)(p.Upper ?? double.NaN))).ToList();
        var merged = new SeriesSnapshot(
            id, points, stored.Truncated, stored.Anomalies,
            snapshot?.RecentAnomaliesNewestFirst ?? [.. stored.Anomalies.Reverse()], snapshot?.Latest, snapshot?.OpenEpisode);
        return Results.Json(SeriesView.Create(merged, start.Value, end.Value, reader.Source), DashboardJson.Options);
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
