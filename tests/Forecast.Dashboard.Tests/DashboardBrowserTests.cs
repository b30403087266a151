using System.Net;
using System.Text.Json;

namespace Forecast.Dashboard.Tests;

/// <summary>What a person sees in each view of the dashboard of a running <c>forecast run</c>, in Debian's Chromium.</summary>
public sealed class DashboardBrowserTests(DashboardSiloFixture silo) : IClassFixture<DashboardSiloFixture>
{
    [Fact]
    public async Task FleetView_ShowsTheCountsAChart_AndListsSensorNames()
    {
        var page = await silo.OpenAsync("");

        await page.WaitForSelectorAsync("#sensor-rows tr[data-sensor]");
        await page.WaitForFunctionAsync("() => +document.querySelector('#fleet-chart')?.dataset.points >= 3");
        var names = await page.Locator("#sensor-rows tr[data-sensor] td:first-child a").AllInnerTextsAsync();
        var sensors = await page.InnerTextAsync("#card-sensors .value");
        var rate = double.Parse((await page.InnerTextAsync("#card-rate .value")).Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
        await silo.ScreenshotAsync(page, "fleet");

        Assert.Equal(DashboardSiloFixture.Sensors, names.Count);
        Assert.Equal("sim/sensor-00000", names[0]);
        Assert.Contains("sim/sensor-00049", names);
        Assert.Equal("50", sensors);
        Assert.InRange(rate, 100, 100_000);
        Assert.Equal(1, await page.Locator("#fleet-chart canvas").CountAsync());
        Assert.Equal("live", await page.GetAttributeAsync("#live", "data-state"));
        Assert.Contains("this silo", await page.InnerTextAsync("main"));
    }

    [Fact]
    public async Task FleetView_FiltersSensors_AndLinksToTheSensorView()
    {
        var page = await silo.OpenAsync("#/fleet");
        await page.WaitForSelectorAsync("#sensor-rows tr[data-sensor]");

        await page.FillAsync("#sensor-filter", "sensor-0004");
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#sensor-rows tr[data-sensor]').length === 10");
        await page.ClickAsync("#sensor-rows a:text-is('sim/sensor-00042')");
        await page.WaitForFunctionAsync("() => +document.querySelector('#chart')?.dataset.points > 0");

        Assert.EndsWith("#/sensor/sim%2Fsensor-00042", page.Url);
        Assert.Equal("sim/sensor-00042", await page.InnerTextAsync("h1 .sensor-id"));
    }

    [Fact]
    public async Task SensorView_ChartsTheReadings_WithTheForecastBand()
    {
        var page = await silo.OpenAsync("#/sensor/sim%2Fsensor-00003");

        await page.WaitForFunctionAsync("() => +document.querySelector('#chart')?.dataset.points > 100");
        var chart = page.Locator("#chart");
        var points = int.Parse((await chart.GetAttributeAsync("data-points"))!, System.Globalization.CultureInfo.InvariantCulture);
        var band = int.Parse((await chart.GetAttributeAsync("data-band-points"))!, System.Globalization.CultureInfo.InvariantCulture);
        var legend = await page.InnerTextAsync("#chart .u-legend");
        var canvas = await page.Locator("#chart canvas").BoundingBoxAsync();
        await silo.ScreenshotAsync(page, "sensor");

        Assert.InRange(points, 101, 3_000);
        // Every reading but the very first has the forecast made for it, plus the steps ahead.
        Assert.True(band >= points - 1, $"{band} band points for {points} readings");
        Assert.Contains("Reading", legend);
        Assert.Contains("Forecast", legend);
        Assert.NotNull(canvas);
        Assert.True(canvas.Width > 600 && canvas.Height > 200, $"canvas {canvas.Width}×{canvas.Height}");
        Assert.Contains("lstm-default@2", await page.InnerTextAsync("#sensor-facts"));
    }

    [Fact]
    public async Task SensorView_MarksAnAnomaly_OnTheChartAndInItsLists()
    {
        var anomaly = await silo.LatestAnomalyAsync();
        var sensor = anomaly.GetProperty("sensor").GetString()!;

        var page = await silo.OpenAsync("#/sensor/" + Uri.EscapeDataString(sensor));
        await page.WaitForFunctionAsync("() => +document.querySelector('#chart')?.dataset.anomalies >= 1");
        await page.WaitForSelectorAsync("#sensor-anomaly-rows tr[data-sensor]");
        var episodes = await page.Locator("#episode-rows tr").AllInnerTextsAsync();
        await silo.ScreenshotAsync(page, "sensor-anomaly");

        Assert.Equal(sensor, await page.InnerTextAsync("h1 .sensor-id"));
        Assert.Contains(episodes, e => e.Contains(anomaly.GetProperty("severity").GetString()!, StringComparison.Ordinal));
        Assert.True(await page.Locator("#sensor-anomaly-rows tr[data-sensor]").CountAsync() >= 1);
    }

    [Fact]
    public async Task SensorView_SearchBox_OpensASensor()
    {
        var page = await silo.OpenAsync("#/sensor");
        await page.WaitForSelectorAsync("#sensor-suggestions a");

        await page.FillAsync("#sensor-search", "sim/sensor-00017");
        await page.PressAsync("#sensor-search", "Enter");
        await page.WaitForFunctionAsync("() => +document.querySelector('#chart')?.dataset.points > 0");

        Assert.Equal("sim/sensor-00017", await page.InnerTextAsync("h1 .sensor-id"));
    }

    [Fact]
    public async Task AnomaliesView_ListsTheLatest_AndFiltersBySeverity()
    {
        var page = await silo.OpenAsync("#/anomalies");

        await page.WaitForSelectorAsync("#anomaly-rows tr[data-sensor]");
        var rows = await page.Locator("#anomaly-rows tr[data-sensor]").CountAsync();
        await silo.ScreenshotAsync(page, "anomalies");
        await page.SelectOptionAsync("#severity-filter", "critical");
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#anomaly-rows tr[data-sensor]')].every(r => r.dataset.severity === 'critical')");
        var severities = await page.Locator("#anomaly-rows tr[data-sensor]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.severity)");

        Assert.InRange(rows, 1, 200);
        Assert.All(severities, s => Assert.Equal("critical", s));
        Assert.Matches("sim/sensor-000\\d\\d", await page.InnerTextAsync("#anomaly-rows tr[data-sensor] td:nth-child(2)"));
    }

    [Fact]
    public async Task ModelsView_ShowsTheBundledModel_ForEverySensor()
    {
        var page = await silo.OpenAsync("#/models");

        var row = page.Locator("#model-rows tr[data-model='lstm-default@2']");
        await row.WaitForAsync();
        await silo.ScreenshotAsync(page, "models");

        Assert.Contains("50", await row.InnerTextAsync());
        Assert.Contains("100.0%", await row.InnerTextAsync());
    }

    [Theory]
    [InlineData("/api/sensors?limit=0", "'limit'")]
    [InlineData("/api/anomalies?severity=fatal", "'severity'")]
    [InlineData("/api/anomalies?from=last-tuesday", "'from'")]
    [InlineData("/api/sensors/sim/sensor-00001/series?from=yesterday", "'from'")]
    public async Task Api_OfTheRunningSilo_AnswersBadParametersWith400(string url, string parameter)
    {
        using var response = await silo.Http.GetAsync(url);
        var detail = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"Parameter {parameter}", detail);
    }
}
