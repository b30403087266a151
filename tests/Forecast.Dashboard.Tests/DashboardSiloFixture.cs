using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace Forecast.Dashboard.Tests;

/// <summary>
/// One <c>forecast run</c> silo (50 simulated sensors, a reading every 20 ms, so anomalies come within seconds) and
/// Debian's Chromium driven by Playwright, shared by the browser tests. Never downloads a browser: without
/// <c>/usr/bin/chromium</c> every test fails, naming the package.
/// </summary>
public sealed class DashboardSiloFixture : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";
    public const int Sensors = 50;

    private IPlaywright? _playwright;

    public ForecastProcess Silo { get; private set; } = null!;

    public Uri Url { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where the tests save their screenshots: <c>screenshots/</c> in the test output folder.</summary>
    public string Screenshots { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        if (!File.Exists(Chromium))
        {
            throw new InvalidOperationException(
                $"Debian's Chromium is not installed ({Chromium} is missing): run 'apt-get install chromium' (tests/run.sh does). " +
                "The dashboard tests drive it through Playwright and never download a browser.");
        }

        Directory.CreateDirectory(Screenshots);
        Url = new Uri($"http://127.0.0.1:{FreePort.Next()}/");
        // 3,000 points at 20 ms keep a minute per sensor, so an anomaly picked from /api/anomalies is still on its chart.
        Silo = ForecastProcess.Start(["--sensors", Sensors.ToString(System.Globalization.CultureInfo.InvariantCulture), "--interval", "20ms", "--urls", Url.ToString().TrimEnd('/'), "--Dashboard:HistoryPoints", "3000"]);
        Http = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(10) };
        await WaitForAnomaliesAsync(TimeSpan.FromSeconds(90));

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        Http?.Dispose();
        Silo?.Dispose();
    }

    /// <summary>A page of 1,400 × 900 CSS pixels on <paramref name="route"/> (such as <c>#/anomalies</c>).</summary>
    public async Task<IPage> OpenAsync(string route)
    {
        var page = await Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        page.SetDefaultTimeout(20_000);
        await page.GotoAsync(new Uri(Url, route).ToString());
        return page;
    }

    public Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });

    /// <summary>The newest anomaly event of the silo.</summary>
    public async Task<JsonElement> LatestAnomalyAsync() =>
        (await Http.GetFromJsonAsync<JsonElement>("/api/anomalies?limit=1"))[0];

    private async Task WaitForAnomaliesAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        string last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var fleet = await Http.GetFromJsonAsync<JsonElement>("/api/fleet");
                last = fleet.ToString();
                if (fleet.GetProperty("sensors").GetInt32() == Sensors && fleet.GetProperty("anomalyEvents").GetInt64() > 0)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"forecast run showed no anomalies for {Sensors} sensors within {timeout.TotalSeconds} s; /api/fleet: {last}\n{Silo.Output}");
    }
}
