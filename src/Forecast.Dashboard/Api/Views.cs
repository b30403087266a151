using System.Text.Json;
using System.Text.Json.Serialization;
using Forecast.Abstractions;
using Forecast.Dashboard.History;

namespace Forecast.Dashboard.Api;

/// <summary>The JSON settings of the query API and the live feed: camelCase, no nulls left out.</summary>
internal static class DashboardJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        // A value a sensor sent as a double may not fit a float; never fail a response over it.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}

/// <summary>One anomaly event: a reading that opened an episode or raised it to critical.</summary>
internal sealed record AnomalyView(
    string Sensor, DateTimeOffset Time, double Value, double Expected, double Lower, double Upper, double Score,
    string Severity, string Model, DateTimeOffset EpisodeStart)
{
    public static AnomalyView From(Anomaly a) =>
        new(a.SensorId, a.Timestamp, a.Value, a.Expected, a.Lower, a.Upper, a.Score, a.Severity.Label(), a.Model, a.EpisodeStart);
}

/// <summary>One step of a forecast: the mean and the band for a moment.</summary>
internal sealed record ForecastView(int Step, DateTimeOffset Time, double Mean, double Lower, double Upper)
{
    public static IReadOnlyList<ForecastView> From(Prediction? prediction) =>
        prediction is null ? [] : [.. prediction.Steps.Select(s => new ForecastView(s.Step, s.TargetTime, s.Mean, s.Lower, s.Upper))];
}

/// <summary>A sensor as the list shows it.</summary>
internal sealed record SensorView(
    string Id, DateTimeOffset? LastTime, float? LastValue, ForecastView? Forecast, bool EpisodeOpen, string? EpisodeSeverity,
    AnomalyView? LastAnomaly, string? Model, int Points)
{
    public static SensorView From(SensorSummary s) => new(
        s.Id,
        s.LastTimeMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null,
        s.LastValue,
        ForecastView.From(s.Latest).FirstOrDefault(),
        s.OpenEpisode is not null,
        s.OpenEpisode is { } open ? open.Label() : null,
        s.LastAnomaly is { } a ? AnomalyView.From(a) : null,
        s.Model,
        s.Points);
}

/// <summary>Sensors matching a query: how many match, and the first <c>limit</c> of them in id order.</summary>
internal sealed record SensorListView(int Matched, int Limit, IReadOnlyList<SensorView> Sensors);

/// <summary>An anomaly episode, from its events: when it opened, its latest severity, and whether it still looks open.</summary>
internal sealed record EpisodeView(DateTimeOffset Start, DateTimeOffset Latest, string Severity, int Events, double PeakScore, bool Open);

/// <summary>
/// A sensor's recent series, column by column for a chart: each reading's time (epoch ms) and value, with the
/// one-step-ahead forecast made for it (null where none was), the anomalies in the range, the latest forecast
/// for the moments ahead, and the sensor's recent episodes. <c>Source</c> says where the points came from:
/// <c>memory</c> (what this silo wrote recently) or <c>influxdb</c>.
/// </summary>
internal sealed record SeriesView(
    string Sensor, string Source, string? Model, DateTimeOffset From, DateTimeOffset To, int Points, bool Truncated,
    long[] Time, float?[] Value, float?[] Mean, float?[] Lower, float?[] Upper,
    IReadOnlyList<AnomalyView> Anomalies, IReadOnlyList<ForecastView> Forecast, IReadOnlyList<EpisodeView> Episodes)
{
    public static SeriesView Create(SeriesSnapshot s, DateTimeOffset from, DateTimeOffset to, string source)
    {
        var n = s.Points.Count;
        var (time, value, mean, lower, upper) = (new long[n], new float?[n], new float?[n], new float?[n], new float?[n]);
        for (var i = 0; i < n; i++)
        {
            var p = s.Points[i];
            time[i] = p.TimeMs;
            value[i] = Finite(p.Value);
            mean[i] = Finite(p.Mean);
            lower[i] = Finite(p.Lower);
            upper[i] = Finite(p.Upper);
        }

        var episodes = s.RecentAnomaliesNewestFirst
            .GroupBy(a => a.EpisodeStart)
            .Select((g, index) => new EpisodeView(
                g.Key,
                g.Max(a => a.Timestamp),
                g.First().Severity.Label(),
                g.Count(),
                g.Max(a => a.Score),
                index == 0 && s.OpenEpisode is not null))
            .ToList();
        return new SeriesView(
            s.Id, source, s.Latest?.Model, from, to, n, s.Truncated, time, value, mean, lower, upper,
            [.. s.Anomalies.Select(AnomalyView.From)], ForecastView.From(s.Latest), episodes);
    }

    private static float? Finite(float value) => float.IsFinite(value) ? value : null;
}

/// <summary>Open anomaly episodes by severity.</summary>
internal sealed record OpenAnomaliesView(int Warning, int Critical);

/// <summary>A silo of the cluster; <c>Local</c> marks the one that answered.</summary>
internal sealed record SiloView(string Name, string Address, string Host, string Status, DateTimeOffset? Started, bool Local);

/// <summary>A model version in use, and how many of this silo's sensors its latest predictions came from.</summary>
internal sealed record ModelView(string Model, int Sensors);

/// <summary>The fleet at one moment, as this silo sees it.</summary>
internal sealed record FleetSummary(
    DateTimeOffset Time, int Sensors, double ReadingsPerSecond, long Readings, long AnomalyEvents,
    OpenAnomaliesView OpenAnomalies, IReadOnlyList<SiloView> Silos, IReadOnlyList<ModelView> Models);
