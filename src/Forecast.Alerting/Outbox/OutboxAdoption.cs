using Forecast.Alerting.Deliveries;
using StackExchange.Redis;

namespace Forecast.Alerting.Outbox;

/// <summary>
/// In Redis, each silo's outbox is known by the silo's name, and a replaced pod comes back under another one:
/// its undelivered events would wait forever. So every silo beats in <c>forecast:alerts:outboxes</c>, and takes
/// over any outbox whose silo has not beaten for <see cref="OutboxOptions.OrphanAfter"/>: under a lock, so one
/// silo adopts it, its events go into this silo's queues (each event once: they are keyed by id) and its
/// entries are removed. Order per sensor holds within one outbox; adopted events come after this silo's own.
/// </summary>
internal sealed partial class OutboxAdoption(
    IConnectionMultiplexer redis, IAlertStore store, string name, IReadOnlyList<DeliveryChannel> channels, TimeSpan orphanAfter,
    TimeProvider clock, ILogger logger)
{
    private const string Registry = "forecast:alerts:outboxes";

    private IDatabase Database => redis.GetDatabase();

    /// <summary>Beats and looks for orphans until <paramref name="stopping"/>.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        var period = TimeSpan.FromTicks(Math.Clamp(orphanAfter.Ticks / 4, TimeSpan.FromMilliseconds(250).Ticks, TimeSpan.FromSeconds(10).Ticks));
        using var timer = new PeriodicTimer(period, clock);
        try
        {
            do
            {
                try
                {
                    await Database.HashSetAsync(Registry, name, clock.GetUtcNow().ToUnixTimeMilliseconds());
                    await AdoptOrphansAsync(stopping);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    LogFailed(logger, exception);
                }
            }
            while (await timer.WaitForNextTickAsync(stopping));
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task AdoptOrphansAsync(CancellationToken stopping)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var silo in await Database.HashGetAllAsync(Registry))
        {
            var other = silo.Name.ToString();
            if (other == name || now - (long)silo.Value < orphanAfter.TotalMilliseconds
                || !await Database.StringSetAsync($"forecast:alerts:adopting:{other}", name, TimeSpan.FromMinutes(1), When.NotExists))
            {
                continue;
            }

            var adopted = 0;
            foreach (var channel in channels)
            {
                var collection = DeliveryChannel.Collection(other, channel.Name);
                var entries = (await store.ReadAsync(collection, stopping)).Values
                    .Select(json => AlertJson.Read<DeliveryChannel.Entry>(json))
                    .OfType<DeliveryChannel.Entry>()
                    .Where(entry => entry.Event?.Id is not null)
                    .OrderBy(entry => entry.Sequence);
                foreach (var entry in entries)
                {
                    await channel.EnqueueAsync(entry.Event, stopping);
                    await store.DeleteAsync(collection, entry.Event.Id, stopping);
                    adopted++;
                }
            }

            await Database.HashDeleteAsync(Registry, other);
            LogAdopted(logger, other, adopted, orphanAfter);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Took over the alert outbox of silo {Silo}, silent for over {OrphanAfter}: {Count} undelivered events queued here")]
    private static partial void LogAdopted(ILogger logger, string silo, int count, TimeSpan orphanAfter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Looking for orphaned alert outboxes in Redis failed; trying again shortly")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
