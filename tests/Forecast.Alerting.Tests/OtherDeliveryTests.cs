using System.Text.Json;

namespace Forecast.Alerting.Tests;

/// <summary>Slack and PagerDuty requests as their receivers take them, posted to a real HTTP receiver; and the outbox in Redis.</summary>
public sealed class OtherDeliveryTests(RedisFixture redis) : ReceiverTest, IClassFixture<RedisFixture>
{

    [Fact]
    public async Task PagerDuty_triggers_and_resolves_with_the_fingerprint_as_dedup_key()
    {
        var keyFile = Path.Combine(Folder, "routing-key");
        await File.WriteAllTextAsync(keyFile, "R0UT1NGKEY0123456789abcdefABCDEF\n");
        await using var alerts = await Harness.StartAsync(Folder, o =>
        {
            o.PagerDuty.RoutingKeyFile = keyFile;
            o.PagerDuty.Url = new Uri(Receiver.Url);
        });

        await alerts.Outbox.EnqueueAsync([Events.Of(AlertEventKind.Opened, "pump-1", 1), Events.Of(AlertEventKind.Resolved, "pump-1", 2)]);
        await Events.UntilAsync(() => Receiver.Requests.Count == 2, "trigger and resolve");

        var bodies = Receiver.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();
        Assert.Equal(["trigger", "resolve"], bodies.Select(b => b.GetProperty("event_action").GetString()));
        Assert.All(bodies, b => Assert.Equal("fp-pump-1", b.GetProperty("dedup_key").GetString()));
        Assert.All(bodies, b => Assert.Equal("R0UT1NGKEY0123456789abcdefABCDEF", b.GetProperty("routing_key").GetString()));
        Assert.Equal("warning", bodies[0].GetProperty("payload").GetProperty("severity").GetString());
        Assert.Equal("pump-1", bodies[0].GetProperty("payload").GetProperty("source").GetString());
    }

    [Fact]
    public async Task Slack_gets_a_text_and_blocks_message_per_event()
    {
        await using var alerts = await Harness.StartAsync(Folder, o => o.Slack.Url = new Uri(Receiver.Url));

        await alerts.Outbox.EnqueueAsync([Events.Of(AlertEventKind.Opened, "pump-1", 1)]);
        await Events.UntilAsync(() => Receiver.Requests.Count == 1, "one Slack message");

        var body = JsonDocument.Parse(Receiver.Requests.Single().Body).RootElement;
        Assert.Contains("pump-1", body.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal("section", body.GetProperty("blocks")[0].GetProperty("type").GetString());
    }

    [Fact]
    public async Task With_Redis_the_outbox_lives_there_and_resumes_after_a_restart()
    {
        Receiver.Answer = _ => (503, null);
        var name = $"silo-{Guid.NewGuid():N}";
        void Configure(AlertingOptions o)
        {
            o.Slack.Url = new Uri(Receiver.Url);
            o.Outbox.Redis = redis.ConnectionString;
            o.Outbox.Name = name;
            o.Outbox.Directory = Path.Combine(Folder, "unused");
        }

        await using (var before = await Harness.StartAsync(Folder, Configure))
        {
            await before.Outbox.EnqueueAsync([Events.Of(AlertEventKind.Opened, "pump-1", 1), Events.Of(AlertEventKind.Opened, "pump-2", 1)]);
            await Events.UntilAsync(() => !Receiver.Requests.IsEmpty, "a refused attempt");
            await StoredAsync(before);
        }

        Receiver.Answer = _ => (204, null);
        await using var after = await Harness.StartAsync(Folder, Configure);
        // At least once: an attempt of the stopped silo may still have been in flight when the receiver came back.
        await Events.UntilAsync(() => Receiver.Requests.Where(r => r.Status == 204).Select(r => r.Body).Distinct().Count() == 2, "both events delivered from Redis");

        Assert.False(Directory.Exists(Path.Combine(Folder, "unused")));
    }

    [Fact]
    public async Task With_Redis_a_silo_takes_over_the_outbox_of_a_silo_gone_for_good()
    {
        Receiver.Answer = _ => (503, null);
        void Configure(AlertingOptions o, string name)
        {
            o.Slack.Url = new Uri(Receiver.Url);
            o.Outbox.Redis = redis.ConnectionString;
            o.Outbox.Name = name;
            o.Outbox.OrphanAfter = TimeSpan.FromSeconds(2);
        }

        var gone = $"pod-{Guid.NewGuid():N}";
        await using (var before = await Harness.StartAsync(Folder, o => Configure(o, gone)))
        {
            await before.Outbox.EnqueueAsync([Events.Of(AlertEventKind.Opened, "pump-1", 1), Events.Of(AlertEventKind.Resolved, "pump-1", 2)]);
            await Events.UntilAsync(() => !Receiver.Requests.IsEmpty, "a refused attempt");
            await StoredAsync(before);
        }

        // Its replacement comes back under another name, as a Deployment's pod does.
        Receiver.Answer = _ => (204, null);
        await using var replacement = await Harness.StartAsync(Folder, o => Configure(o, $"pod-{Guid.NewGuid():N}"));
        await Events.UntilAsync(
            () => Receiver.Requests.Where(r => r.Status == 204).Select(r => r.Body).Distinct().Count() == 2, "both of the gone silo's events delivered", seconds: 30);

        var delivered = Receiver.Requests.Where(r => r.Status == 204).Select(r => r.Body).Distinct().ToList();
        Assert.Contains("pump-1 warning anomaly", delivered[0], StringComparison.Ordinal);
        Assert.Contains("back to normal", delivered[1], StringComparison.Ordinal);

        // The receiver records a request before it answers, so the channel counts the answer a moment later.
        await Events.UntilAsync(() => replacement.Channel("slack").Pending == 0, "nothing left pending after both answers");
    }

    [Fact]
    public async Task When_Redis_goes_down_an_event_is_still_delivered_from_memory_and_counted_as_unstored()
    {
        var store = new RedisFixture();
        await store.InitializeAsync();
        await using var alerts = await Harness.StartAsync(Folder, o =>
        {
            o.Slack.Url = new Uri(Receiver.Url);
            o.Outbox.Redis = store.ConnectionString;
            o.Outbox.Name = $"silo-{Guid.NewGuid():N}";
        });
        await alerts.Outbox.EnqueueAsync([Events.Of(AlertEventKind.Opened, "pump-1", 1)]);
        await Events.UntilAsync(() => Receiver.Requests.Count == 1, "the first event delivered");

        await store.DisposeAsync();
        var enqueue = System.Diagnostics.Stopwatch.StartNew();
        await alerts.Outbox.EnqueueAsync([Events.Of(AlertEventKind.Resolved, "pump-1", 2)]);
        enqueue.Stop();
        await Events.UntilAsync(() => Receiver.Requests.Count == 2, "the second event delivered without Redis");

        Assert.True(enqueue.Elapsed < TimeSpan.FromSeconds(3), $"enqueue took {enqueue.Elapsed} with Redis down");
        Assert.True(alerts.Channel("slack").Counters.Unstored >= 1);
    }

    /// <summary>
    /// Waits until the silo holds none of its events only in memory. Redis may still be connecting when the first
    /// events come (a test process's first use of it); those are held and written a moment later, and a silo stopped
    /// before then takes them with it. What the next silo finds in Redis is what these tests are about.
    /// </summary>
    private static Task StoredAsync(Harness silo) =>
        Events.UntilAsync(() => silo.Channel("slack").Counters is { Held: 0, StoreError: null }, "the events written to Redis");
}
