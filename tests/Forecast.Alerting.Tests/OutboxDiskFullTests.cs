namespace Forecast.Alerting.Tests;

/// <summary>The file outbox on a real full disk (a small tmpfs): readings' alerts still go out, and nothing held is lost.</summary>
public sealed class OutboxDiskFullTests : ReceiverTest
{
    [Fact]
    public async Task On_a_full_disk_events_go_out_from_memory_and_are_written_once_space_returns()
    {
        using var disk = await TinyDisk.MountAsync(256 * 1024);
        var folder = Path.Combine(disk.Path, "alerts");
        var logs = new LogLines();
        var delivered = Events.Of(AlertEventKind.Opened, "pump-1", 1);
        var held = new[] { Events.Of(AlertEventKind.Opened, "pump-2", 2), Events.Of(AlertEventKind.Opened, "pump-3", 3) };
        await using (var alerts = await StartAsync(folder, logs))
        {
            disk.Fill();

            // The receiver takes the first event though the outbox cannot store it.
            await alerts.Outbox.EnqueueAsync([delivered]);
            await Events.UntilAsync(() => Ids().Contains(delivered.Id), "the first event delivered from memory");
            await Task.Delay(100);
            Assert.Contains("The disk is full", alerts.Channel("webhook").Counters.StoreError, StringComparison.Ordinal);

            // The receiver is away: the next two are held in memory, the outbox says why, and one error is logged.
            Receiver.Answer = _ => (503, null);
            await alerts.Outbox.EnqueueAsync(held);
            await Events.UntilAsync(() => alerts.Channel("webhook").Counters.Held == 2, "the two undelivered events held");
            var counters = alerts.Channel("webhook").Counters;
            Assert.Contains($"The disk is full: no space left for the alert outbox in {folder}", counters.StoreError, StringComparison.Ordinal);
            Assert.Equal(3, counters.Unstored);
            var error = Assert.Single(logs.At(LogLevel.Error));
            Assert.Contains(counters.StoreError!, error, StringComparison.Ordinal);

            // Space is back: what was held is written without help.
            disk.Free();
            await Events.UntilAsync(() => alerts.Channel("webhook").Counters is { Held: 0, StoreError: null }, "the held events written");

            // The recovery line is logged just after the counters clear.
            await Events.UntilAsync(() => logs.At(LogLevel.Information).Any(line => line.Contains("takes writes", StringComparison.Ordinal)), "the recovery logged");
            Assert.Contains("takes writes again; 2 held writes made", Assert.Single(logs.At(LogLevel.Information), line => line.Contains("takes writes", StringComparison.Ordinal)), StringComparison.Ordinal);
        }

        // A silo started again on that folder finds them on disk (and not the one delivered before).
        Receiver.Answer = _ => (204, null);
        var before = Ids().Count;
        await using var after = await StartAsync(folder, logs);
        await Events.UntilAsync(() => after.Channel("webhook").Counters is { Pending: 0, Delivered: 2 }, "the held events delivered after a restart");
        Assert.Equal(held.Select(e => e.Id), Ids().Skip(before).Distinct());
    }

    [Fact]
    public async Task A_write_that_failed_for_want_of_space_leaves_no_torn_line_behind()
    {
        using var disk = await TinyDisk.MountAsync(64 * 1024);
        var folder = Path.Combine(disk.Path, "alerts");
        Receiver.Answer = _ => (503, null);
        var events = Enumerable.Range(1, 400).Select(i => Events.Of(AlertEventKind.Opened, $"pump-{i}", i)).ToList();
        await using (var alerts = await StartAsync(folder, new LogLines()))
        {
            // A 64 KB disk takes about a hundred events: the write that hits the end is torn part-way.
            await alerts.Outbox.EnqueueAsync(events);
            Assert.True(alerts.Channel("webhook").Counters.Held > 0, "the disk never filled up");
        }

        // Each line on disk is whole, so a silo starting on it reads every stored event.
        var journal = Directory.GetFiles(folder, "outbox.*webhook.log").Single();
        Assert.EndsWith("\n", await File.ReadAllTextAsync(journal), StringComparison.Ordinal);
        var lines = await File.ReadAllLinesAsync(journal);
        Assert.All(lines, line => Assert.Matches("^\\+\tevt_pump-[0-9]+_Opened_[0-9]+\t\\{.*\\}$", line));
        Receiver.Answer = _ => (204, null);
        await using var after = await StartAsync(folder, new LogLines());
        await Events.UntilAsync(() => after.Channel("webhook").Counters.Delivered == lines.Length, $"the {lines.Length} stored events delivered");
        Assert.Equal(lines.Select(line => line.Split('\t')[1]).Order(), Ids().Distinct().Order());
    }

    private List<string> Ids() => [.. Receiver.Requests.Where(r => r.Status == 204).Select(r => r.Headers["webhook-id"])];

    private Task<Harness> StartAsync(string folder, LogLines logs) => Harness.StartAsync(folder, o =>
    {
        o.Webhook.Url = new Uri(Receiver.Url);
        o.Webhook.Secret = Secret;
    }, logs);
}
