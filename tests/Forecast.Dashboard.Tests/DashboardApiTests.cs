using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace Forecast.Dashboard.Tests;

/// <summary>The query API, the live feed and the assets, served by Kestrel over a test sink (no Orleans, no simulator).</summary>
public sealed class DashboardApiTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = Batches.Start.AddMinutes(2);
    private WebApplication _app = null!;
    private HttpClient _http = null!;
    private IPredictionSink _sink = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{FreePort.Next()}");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IPredictionSink>(new HistoryRecordingSinkTests.TestSink());
        builder.Services.AddSingleton<TimeProvider>(new FixedClock(Now));
        builder.Services.AddDashboard(o => o.Configure(d => d.FeedInterval = TimeSpan.FromMilliseconds(200)));
        _app = builder.Build();
        _app.MapDashboard();
        await _app.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_app.Urls.First()), Timeout = TimeSpan.FromSeconds(30) };
        _sink = _app.Services.GetRequiredService<IPredictionSink>();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    [Theory]
    [InlineData("/api/sensors?limit=0", "Parameter 'limit' is '0': use a whole number from 1 to 1,000")]
    [InlineData("/api/sensors?limit=all", "Parameter 'limit' is 'all'")]
    [InlineData("/api/anomalies?severity=fatal", "Parameter 'severity' is 'fatal': use warning or critical")]
    [InlineData("/api/anomalies?from=yesterday", "Parameter 'from' is 'yesterday', which is not a time")]
    [InlineData("/api/anomalies?limit=5000", "Parameter 'limit' is '5000': use a whole number from 1 to 1,000")]
    [InlineData("/api/sensors/pump-7/series?from=soon", "Parameter 'from' is 'soon', which is not a time")]
    [InlineData("/api/sensors/pump-7/series?to=-1x", "Parameter 'to' is '-1x', which is not a time")]
    [InlineData("/api/sensors/pump-7/series?from=-1m&to=-2m", "Parameter 'from' (2026-05-01T10:01:00.0000000+00:00) is after 'to'")]
    [InlineData("/api/sensors/pump-7?from=-1m", "Parameters 'from' and 'to' belong to /api/sensors/pump-7/series")]
    public async Task Api_AnswersABadParameter_With400NamingIt(string url, string message)
    {
        using var response = await _http.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(message, JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Series_HoldsReadingsTheForecastBandAndAnomalies_OfTheRange()
    {
        await _sink.WriteAsync(Batches.Readings("plant-a/pump-7", 0, 120, anomalies: Batches.Anomaly("plant-a/pump-7", 100, AnomalySeverity.Critical)));

        var series = await GetJsonAsync($"/api/sensors/plant-a/pump-7/series?from=-110s&to={Uri.EscapeDataString(Batches.Start.AddSeconds(119).ToString("O"))}");

        Assert.Equal("plant-a/pump-7", series.GetProperty("sensor").GetString());
        Assert.Equal("lstm-test@1", series.GetProperty("model").GetString());
        // From 10:00:10 (two minutes after 10:00 less 110 s) to reading 119: readings 10 to 119.
        Assert.Equal(110, series.GetProperty("points").GetInt32());
        var time = series.GetProperty("time").EnumerateArray().Select(t => t.GetInt64()).ToList();
        Assert.Equal(Batches.Start.AddSeconds(10).ToUnixTimeMilliseconds(), time[0]);
        Assert.Equal(10, series.GetProperty("value")[0].GetDouble());
        Assert.Equal((10, 9.5, 10.5), (series.GetProperty("mean")[0].GetDouble(), series.GetProperty("lower")[0].GetDouble(), series.GetProperty("upper")[0].GetDouble()));
        var anomaly = Assert.Single(series.GetProperty("anomalies").EnumerateArray());
        Assert.Equal("critical", anomaly.GetProperty("severity").GetString());
        Assert.Equal(Batches.Start.AddSeconds(100), anomaly.GetProperty("time").GetDateTimeOffset());
        Assert.Equal(2, series.GetProperty("forecast").GetArrayLength());
        Assert.Equal(120, series.GetProperty("forecast")[0].GetProperty("mean").GetDouble());
        var episode = Assert.Single(series.GetProperty("episodes").EnumerateArray());
        Assert.Equal("critical", episode.GetProperty("severity").GetString());
    }

    [Fact]
    public async Task Series_OfTheDefaultRange_IsTheLast15Minutes_AndTheFirstReadingHasNoForecast()
    {
        await _sink.WriteAsync(Batches.Readings("s", 0, 10));

        var series = await GetJsonAsync("/api/sensors/s/series");

        Assert.Equal(10, series.GetProperty("points").GetInt32());
        Assert.Equal(JsonValueKind.Null, series.GetProperty("mean")[0].ValueKind);
        Assert.Equal(Now.AddMinutes(-15), series.GetProperty("from").GetDateTimeOffset());
    }

    [Fact]
    public async Task Sensor_ThisSiloHasNotWritten_Is404()
    {
        using var response = await _http.GetAsync("/api/sensors/no/such/sensor/series");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("has written nothing for sensor 'no/such/sensor'", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Sensors_ListsMatchingSensors_WithTheirLatestForecast()
    {
        foreach (var id in new[] { "plant-a/pump-1", "plant-a/pump-2", "plant-b/valve-1" })
        {
            await _sink.WriteAsync(Batches.Readings(id, 0, 3));
        }

        var list = await GetJsonAsync("/api/sensors?query=pump&limit=1");
        var one = await GetJsonAsync("/api/sensors/plant-b/valve-1");

        Assert.Equal(2, list.GetProperty("matched").GetInt32());
        var sensor = Assert.Single(list.GetProperty("sensors").EnumerateArray());
        Assert.Equal("plant-a/pump-1", sensor.GetProperty("id").GetString());
        Assert.Equal(2, sensor.GetProperty("lastValue").GetDouble());
        Assert.Equal(3, sensor.GetProperty("forecast").GetProperty("mean").GetDouble());
        Assert.False(sensor.GetProperty("episodeOpen").GetBoolean());
        Assert.Equal("plant-b/valve-1", one.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Anomalies_AreNewestFirst_AndFilteredBySeverity()
    {
        await _sink.WriteAsync(Batches.Readings("a", 0, 10, anomalies: [Batches.Anomaly("a", 3), Batches.Anomaly("a", 6, AnomalySeverity.Critical, episodeStart: 3)]));

        var all = await GetJsonAsync("/api/anomalies");
        var critical = await GetJsonAsync("/api/anomalies?severity=critical&limit=10");

        Assert.Equal([6, 3], all.EnumerateArray().Select(a => a.GetProperty("value").GetInt32()));
        Assert.Equal([6], critical.EnumerateArray().Select(a => a.GetProperty("value").GetInt32()));
    }

    [Fact]
    public async Task Fleet_CountsSensorsOpenEpisodesAndModels()
    {
        await _sink.WriteAsync(Batches.Readings("a", 0, 5, anomalies: Batches.Anomaly("a", 4, AnomalySeverity.Critical)));
        await _sink.WriteAsync(Batches.Readings("b", 0, 5, model: "lstm-test@2"));

        var fleet = await GetJsonAsync("/api/fleet");

        Assert.Equal(2, fleet.GetProperty("sensors").GetInt32());
        Assert.Equal(10, fleet.GetProperty("readings").GetInt64());
        Assert.Equal(1, fleet.GetProperty("openAnomalies").GetProperty("critical").GetInt32());
        Assert.Equal(0, fleet.GetProperty("openAnomalies").GetProperty("warning").GetInt32());
        Assert.Equal(2, fleet.GetProperty("models").GetArrayLength());
        Assert.Equal(0, fleet.GetProperty("silos").GetArrayLength());
    }

    [Fact]
    public async Task Events_StreamFleetSummaries_AndEachNewAnomaly()
    {
        using var response = await _http.GetAsync("/api/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        var first = await NextEventAsync(reader, "fleet");
        await _sink.WriteAsync(Batches.Readings("pump-9", 0, 5, anomalies: Batches.Anomaly("pump-9", 2)));
        var anomaly = await NextEventAsync(reader, "anomaly");
        var fleet = await NextEventAsync(reader, "fleet");
        // A summary computed while the batch was being written may still say 0.
        while (fleet.GetProperty("sensors").GetInt32() == 0)
        {
            fleet = await NextEventAsync(reader, "fleet");
        }

        Assert.Equal(0, first.GetProperty("sensors").GetInt32());
        Assert.Equal("pump-9", anomaly.GetProperty("sensor").GetString());
        Assert.Equal("warning", anomaly.GetProperty("severity").GetString());
        Assert.Equal(1, fleet.GetProperty("sensors").GetInt32());
    }

    [Fact]
    public async Task Root_ServesTheBuiltDashboard_AndItsHashedAssetsForAYear()
    {
        using var page = await _http.GetAsync("/");
        var html = await page.Content.ReadAsStringAsync();
        var script = System.Text.RegularExpressions.Regex.Match(html, "src=\"(/assets/[^\"]+\\.js)\"").Groups[1].Value;
        using var asset = await _http.GetAsync(script);
        using var again = new HttpRequestMessage(HttpMethod.Get, script);
        again.Headers.IfNoneMatch.Add(asset.Headers.ETag!);
        using var notModified = await _http.SendAsync(again);
        using var missing = await _http.GetAsync("/assets/nothing.js");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<main id=\"view\"", html);
        Assert.Equal("no-cache", page.Headers.CacheControl?.ToString());
        Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
        Assert.Equal("text/javascript", asset.Content.Headers.ContentType?.MediaType);
        Assert.Contains("immutable", asset.Headers.CacheControl?.ToString());
        Assert.True((await asset.Content.ReadAsByteArrayAsync()).Length > 10_000);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    private async Task<JsonElement> GetJsonAsync(string url)
    {
        using var response = await _http.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{url}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static async Task<JsonElement> NextEventAsync(StreamReader reader, string type)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        string? eventType = null;
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                eventType = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal) && eventType == type)
            {
                return JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone();
            }
        }

        throw new EndOfStreamException($"The feed ended before a '{type}' event.");
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
