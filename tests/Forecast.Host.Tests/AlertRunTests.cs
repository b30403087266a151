using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Forecast.Alerting.Deliveries;

namespace Forecast.Host.Tests;

/// <summary>
/// <c>forecast run</c> with alert deliveries, as issue #12 checks it: a webhook receiver that is down (503) for the
/// first seconds, a real Alertmanager, and a silo killed with events still in its outbox.
/// </summary>
public sealed class AlertRunTests(AlertmanagerServer alertmanager) : ReceiverTest, IClassFixture<AlertmanagerServer>
{

    [Fact]
    public async Task Every_signed_event_arrives_after_an_outage_in_order_per_sensor_and_Alertmanager_lists_the_alerts()
    {
        var outageEnds = DateTimeOffset.UtcNow.AddSeconds(12);
        Receiver.Answer = _ => DateTimeOffset.UtcNow < outageEnds ? (503, 1) : (204, null);
        var web = FreePort.Next();

        // Readings at the default second: the simulator's history lets the detector judge within seconds.
        using var silo = ForecastProcess.Start(Arguments(web, "--duration", "30s", "--sensors", "200",
            "--Alerts:Alertmanager:Url", alertmanager.Url, "--Alerts:Alertmanager:ResendInterval", "00:00:05"));
        // Alertmanager lists an alert while it fires; one that resolved before the run ended is gone by then.
        var listed = new System.Collections.Concurrent.ConcurrentBag<JsonElement>();
        using var stopListing = new CancellationTokenSource();
        var listing = Task.Run(async () =>
        {
            while (!stopListing.IsCancellationRequested)
            {
                foreach (var alert in await alertmanager.AlertsAsync())
                {
                    listed.Add(alert);
                }

                await Task.Delay(500);
            }
        });
        await WaitForExitAsync(silo);
        await stopListing.CancelAsync();
        await listing;

        var requests = Receiver.Requests.ToList();
        var delivered = requests.Where(r => r.Status == 204).ToList();
        var summary = JsonDocument.Parse(silo.Output.Trim().Split('\n')[^1]).RootElement.GetProperty("alerts").GetProperty("deliveries");
        var context = $"{requests.Count} requests, {delivered.Count} delivered; summary {summary}\n{silo.Output[^Math.Min(3000, silo.Output.Length)..]}";
        Assert.True(requests.Any(r => r.Status == 503), context);
        Assert.All(requests, r => Assert.True(Verifies(r), $"bad signature on {r.Headers["webhook-id"]}"));
        var refused = requests.Where(r => r.Status == 503).Select(r => r.Headers["webhook-id"]).ToHashSet();
        Assert.Subset(delivered.Select(r => r.Headers["webhook-id"]).ToHashSet(), refused);
        Assert.Equal(delivered.Count, delivered.Select(r => r.Headers["webhook-id"]).Distinct().Count());

        var events = delivered.Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();
        Assert.Contains(events, e => e.GetProperty("type").GetString() == "anomaly.opened");
        Assert.Contains(events, e => e.GetProperty("type").GetString() == "anomaly.resolved");
        foreach (var sensor in events.GroupBy(e => e.GetProperty("data").GetProperty("sensor").GetString()))
        {
            // Per sensor, an alert resolves only after it opened: never two openings or two resolutions in a row.
            var kinds = sensor.Select(e => e.GetProperty("type").GetString()).Where(t => t != "anomaly.escalated").ToList();
            Assert.True(kinds.Where((k, i) => k == (i % 2 == 0 ? "anomaly.opened" : "anomaly.resolved")).Count() == kinds.Count, $"{sensor.Key}: {string.Join(", ", kinds)}");
        }

        var webhook = summary.EnumerateArray().Single(d => d.GetProperty("name").GetString() == "webhook");
        Assert.True(webhook.GetProperty("pending").GetInt32() == 0, context);
        Assert.Equal(delivered.Count, webhook.GetProperty("delivered").GetInt64());
        Assert.Contains(listed, a => a.GetProperty("labels").GetProperty("sensor").GetString()!.StartsWith("sim/sensor-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Events_queued_when_a_silo_is_killed_are_delivered_by_the_next_start()
    {
        Receiver.Answer = _ => (503, 1);
        var web = FreePort.Next();
        using (var killed = ForecastProcess.Start(Arguments(web, "--sensors", "40", "--interval", "10ms")))
        {
            await UntilAsync(() => Receiver.Requests.Select(r => r.Headers["webhook-id"]).Distinct().Count() >= 1 && PendingAsync(web).Result >= 3, "three events queued", killed);
            killed.Kill();
        }

        var refused = Receiver.Requests.Select(r => r.Headers["webhook-id"]).ToHashSet();
        Receiver.Answer = _ => (204, null);
        using var next = ForecastProcess.Start(Arguments(FreePort.Next(), "--sensors", "0", "--duration", "20s"));
        await UntilAsync(() => refused.All(id => Receiver.Requests.Any(r => r.Status == 204 && r.Headers["webhook-id"] == id)), "every refused event delivered after the restart", next);
        Assert.Contains("undelivered events from before the restart are queued again", next.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SIGTERM_stops_the_silo_gracefully_and_its_outbox_drains()
    {
        var web = FreePort.Next();
        using var silo = ForecastProcess.Start(Arguments(web, "--sensors", "40", "--interval", "10ms"));
        await UntilAsync(() => Receiver.Requests.Count >= 5, "five events delivered", silo);

        var exitCode = await silo.TerminateAsync(TimeSpan.FromSeconds(60));

        Assert.True(exitCode == 0, $"exit {exitCode}\n{silo.Output}");
        var summary = JsonDocument.Parse(silo.Output.Trim().Split('\n')[^1]).RootElement;
        var webhook = summary.GetProperty("alerts").GetProperty("deliveries")[0];
        Assert.True(webhook.GetProperty("pending").GetInt32() == 0, summary.ToString());
        Assert.Equal(Receiver.Requests.Count, webhook.GetProperty("delivered").GetInt64());
    }

    private string[] Arguments(int web, params string[] extra) =>
    [
        "--urls", $"http://127.0.0.1:{web}",
        "--Alerts:Webhook:Url", Receiver.Url,
        "--Alerts:Webhook:Secret", Secret,
        "--Alerts:Outbox:Directory", Folder,
        "--Alerts:Outbox:MaxRetryDelay", "00:00:01",
        .. extra,
    ];

    private static bool Verifies(ReceivedRequest r) => WebhookSignature.Verify(
        Key, r.Headers["webhook-id"], long.Parse(r.Headers["webhook-timestamp"], CultureInfo.InvariantCulture), r.Body, r.Headers["webhook-signature"]);

    private static async Task<int> PendingAsync(int web)
    {
        try
        {
            using var http = new HttpClient();
            var alerts = await http.GetFromJsonAsync<JsonElement>($"http://127.0.0.1:{web}/alerts");
            return alerts.GetProperty("deliveries").EnumerateArray().Sum(d => d.GetProperty("pending").GetInt32());
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }

    private static async Task WaitForExitAsync(ForecastProcess silo) =>
        await UntilAsync(() => silo.Output.Contains("\"readings\":", StringComparison.Ordinal), "the run's summary", silo, seconds: 90);

    private static async Task UntilAsync(Func<bool> done, string what, ForecastProcess silo, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out after {seconds} s waiting for {what}:\n{silo.Output}");
            await Task.Delay(100);
        }
    }
}
