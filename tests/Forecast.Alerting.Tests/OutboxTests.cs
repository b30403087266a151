namespace Forecast.Alerting.Tests;

/// <summary>The outbox keeps events across a restart, once each, and gives up resolved ones first when full.</summary>
public sealed class OutboxTests : ReceiverTest
{

    [Fact]
    public async Task Events_undelivered_when_the_silo_stops_go_out_in_order_after_it_starts_again()
    {
        Receiver.Answer = _ => (503, null);
        var events = Enumerable.Range(1, 4).Select(i => Events.Of(AlertEventKind.Opened, $"pump-{i}", i)).ToList();
        await using (var before = await StartAsync())
        {
            await before.Outbox.EnqueueAsync(events);
            await Events.UntilAsync(() => !Receiver.Requests.IsEmpty, "a refused attempt");
        }

        Receiver.Answer = _ => (204, null);
        await using var after = await StartAsync();
        await Events.UntilAsync(() => Delivered().Select(r => r.Headers["webhook-id"]).Distinct().Count() == 4, "the four events delivered after the restart");

        // At least once: an attempt of the stopped silo may still have been in flight when the receiver came back.
        Assert.Equal(events.Select(e => e.Id), Delivered().Select(r => r.Headers["webhook-id"]).Distinct());
        await Events.UntilAsync(() => after.Channel("webhook").Pending == 0, "nothing left pending after the four answers");
    }

    [Fact]
    public async Task A_damaged_journal_loses_only_its_damaged_lines()
    {
        Receiver.Answer = _ => (503, null);
        var good = Events.Of(AlertEventKind.Opened, "pump-1", 1);
        await using (var before = await StartAsync())
        {
            await before.Outbox.EnqueueAsync([good]);
            await Events.UntilAsync(() => !Receiver.Requests.IsEmpty, "a refused attempt");
        }

        // A hand edit, a value that is not an entry, and a write torn by a crash.
        var journal = Directory.GetFiles(Folder, "outbox.*webhook.log").Single();
        await File.AppendAllTextAsync(journal, "+\tevt_bad\t{not json\n+\tevt_empty\t{\"sequence\":7}\ngarbage line\n+\tevt_torn\t{\"seq");

        Receiver.Answer = _ => (204, null);
        await using var after = await StartAsync();
        var next = Events.Of(AlertEventKind.Resolved, "pump-1", 2);
        await after.Outbox.EnqueueAsync([next]);
        await Events.UntilAsync(() => Delivered().Select(r => r.Headers["webhook-id"]).Distinct().Count() == 2, "the good event and a new one delivered");

        Assert.Equal([good.Id, next.Id], Delivered().Select(r => r.Headers["webhook-id"]).Distinct());
    }

    [Fact]
    public async Task An_event_raised_again_by_a_replay_is_delivered_once()
    {
        await using var alerts = await StartAsync();
        var opened = Events.Of(AlertEventKind.Opened, "pump-1", 1);
        Receiver.Answer = _ => (503, null);

        await alerts.Outbox.EnqueueAsync([opened]);
        await alerts.Outbox.EnqueueAsync([opened, Events.Of(AlertEventKind.Resolved, "pump-1", 2)]);
        Receiver.Answer = _ => (204, null);
        await Events.UntilAsync(() => Delivered().Count == 2, "both events delivered");
        await Task.Delay(200);

        Assert.Equal(2, Delivered().Count);
    }

    [Fact]
    public async Task A_full_outbox_drops_the_oldest_resolved_event_first_and_counts_it()
    {
        Receiver.Answer = _ => (503, null);
        await using var alerts = await StartAsync(capacity: 3);

        await alerts.Outbox.EnqueueAsync([
            Events.Of(AlertEventKind.Opened, "pump-1", 1),
            Events.Of(AlertEventKind.Resolved, "pump-1", 2),
            Events.Of(AlertEventKind.Opened, "pump-2", 3),
            Events.Of(AlertEventKind.Opened, "pump-3", 4),
        ]);
        Receiver.Answer = _ => (204, null);
        await Events.UntilAsync(() => Delivered().Count == 3, "the three kept events delivered");

        Assert.Equal(["evt_pump-1_Opened_1", "evt_pump-2_Opened_3", "evt_pump-3_Opened_4"], Delivered().Select(r => r.Headers["webhook-id"]));
        Assert.Equal(1, alerts.Channel("webhook").Counters.Dropped);
    }

    private List<ReceivedRequest> Delivered() => [.. Receiver.Requests.Where(r => r.Status == 204)];

    private Task<Harness> StartAsync(int capacity = 100) => Harness.StartAsync(Folder, o =>
    {
        o.Webhook.Url = new Uri(Receiver.Url);
        o.Webhook.Secret = Secret;
        o.Outbox.Capacity = capacity;
    });
}
