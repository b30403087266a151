using System.Text.Json;
using Forecast.Alerting.Deliveries;

namespace Forecast.Alerting.Tests;

/// <summary>The signed webhook against a real HTTP receiver: outages, 429, 410, other 4xx and garbage answers.</summary>
public sealed class WebhookDeliveryTests : ReceiverTest
{

    [Fact]
    public async Task Every_event_refused_during_an_outage_arrives_afterwards_in_order_with_its_id_and_a_valid_signature()
    {
        var refused = 0;
        Receiver.Answer = _ => Interlocked.Increment(ref refused) <= 6 ? (503, null) : (204, null);
        await using var alerts = await StartAsync();
        var events = new[]
        {
            Events.Of(AlertEventKind.Opened, "pump-1", 1),
            Events.Of(AlertEventKind.Opened, "pump-2", 1),
            Events.Of(AlertEventKind.Escalated, "pump-1", 2, AnomalySeverity.Critical),
            Events.Of(AlertEventKind.Resolved, "pump-1", 3, AnomalySeverity.Critical),
            Events.Of(AlertEventKind.Resolved, "pump-2", 4),
        };
        foreach (var e in events)
        {
            await alerts.Outbox.EnqueueAsync([e]);
        }

        await Events.UntilAsync(() => Delivered().Count == events.Length, "every event delivered");

        var delivered = Delivered();
        Assert.Equal(events.Select(e => e.Id), delivered.Select(r => r.Headers["webhook-id"]));
        Assert.All(Receiver.Requests.Where(r => r.Status == 503), r => Assert.Equal(events[0].Id, r.Headers["webhook-id"]));
        Assert.All(Receiver.Requests, r => Assert.True(
            WebhookSignature.Verify(Key, r.Headers["webhook-id"], long.Parse(r.Headers["webhook-timestamp"], System.Globalization.CultureInfo.InvariantCulture), r.Body, r.Headers["webhook-signature"]),
            $"signature of {r.Headers["webhook-id"]} does not verify"));
        var bodies = delivered.Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();
        Assert.Equal(["anomaly.opened", "anomaly.opened", "anomaly.escalated", "anomaly.resolved", "anomaly.resolved"], bodies.Select(b => b.GetProperty("type").GetString()));
        Assert.Equal("pump-1", bodies[0].GetProperty("data").GetProperty("sensor").GetString());
        Assert.Equal("critical", bodies[2].GetProperty("data").GetProperty("severity").GetString());
        Assert.Equal(6, alerts.Channel("webhook").Counters.Retries);
    }

    [Fact]
    public async Task A_429_is_retried_no_sooner_than_its_Retry_After()
    {
        var first = true;
        Receiver.Answer = _ => first ? (first = false, (429, (int?)1)).Item2 : (204, null);
        await using var alerts = await StartAsync();

        await alerts.Outbox.EnqueueAsync([Events.Of(AlertEventKind.Opened, "pump-1", 1)]);
        await Events.UntilAsync(() => Delivered().Count == 1, "the event delivered after the 429");

        var attempts = Receiver.Requests.ToList();
        Assert.Equal([429, 204], attempts.Select(r => r.Status));
        Assert.True(attempts[1].At - attempts[0].At >= TimeSpan.FromMilliseconds(900), $"retried after {(attempts[1].At - attempts[0].At).TotalMilliseconds} ms, Retry-After said 1 s");
    }

    [Fact]
    public async Task A_410_turns_the_delivery_off_and_keeps_its_events()
    {
        Receiver.Answer = _ => (410, null);
        await using var alerts = await StartAsync();

        await alerts.Outbox.EnqueueAsync([Events.Of(AlertEventKind.Opened, "pump-1", 1), Events.Of(AlertEventKind.Opened, "pump-2", 1)]);
        await Events.UntilAsync(() => alerts.Channel("webhook").Disabled, "the delivery turned off");
        await alerts.Outbox.EnqueueAsync([Events.Of(AlertEventKind.Opened, "pump-3", 1)]);
        await Task.Delay(300);

        // The first event stays in the outbox for a restart; events after the 410 are not queued.
        Assert.Single(Receiver.Requests);
        Assert.InRange(alerts.Channel("webhook").Pending, 1, 2);
    }

    [Fact]
    public async Task Another_4xx_is_counted_and_not_retried_and_the_next_event_goes_out()
    {
        Receiver.Answer = r => r.Headers["webhook-id"].Contains("pump-1", StringComparison.Ordinal) ? (400, null) : (204, null);
        await using var alerts = await StartAsync();

        await alerts.Outbox.EnqueueAsync([Events.Of(AlertEventKind.Opened, "pump-1", 1), Events.Of(AlertEventKind.Opened, "pump-2", 1)]);
        await Events.UntilAsync(() => Delivered().Count == 1, "the second event delivered");

        Assert.Equal([400, 204], Receiver.Requests.Select(r => r.Status));

        // The receiver records a request before it answers, so the channel counts the answer a moment later.
        await Events.UntilAsync(() => alerts.Channel("webhook").Counters.Delivered == 1, "the answer counted");
        var counters = alerts.Channel("webhook").Counters;
        Assert.Equal((1, 1, 0), (counters.Rejected, counters.Delivered, counters.Pending));
    }

    [Fact]
    public async Task AReceiver_answering_garbage_is_a_counted_failure_and_the_event_waits()
    {
        using var garbage = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        garbage.Start();
        var port = ((System.Net.IPEndPoint)garbage.LocalEndpoint).Port;
        using var stop = new CancellationTokenSource();
        var server = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var client = await garbage.AcceptTcpClientAsync(stop.Token);
                await client.GetStream().WriteAsync("this is not HTTP\r\n\r\n"u8.ToArray(), stop.Token);
            }
        });
        await using var alerts = await Harness.StartAsync(Folder, o =>
        {
            o.Webhook.Url = new Uri($"http://127.0.0.1:{port}/hook");
            o.Webhook.Secret = Secret;
        });

        await alerts.Outbox.EnqueueAsync([Events.Of(AlertEventKind.Opened, "pump-1", 1)]);
        await Events.UntilAsync(() => alerts.Channel("webhook").Counters.Retries >= 3, "three counted failures");

        Assert.Equal(1, alerts.Channel("webhook").Pending);
        await stop.CancelAsync();
    }

    private List<ReceivedRequest> Delivered() => [.. Receiver.Requests.Where(r => r.Status == 204)];

    private Task<Harness> StartAsync() => Harness.StartAsync(Folder, o =>
    {
        o.Webhook.Url = new Uri(Receiver.Url);
        o.Webhook.Secret = Secret;
    });
}
