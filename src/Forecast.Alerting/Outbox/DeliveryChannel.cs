using System.Text.Json;
using Forecast.Abstractions;
using Forecast.Alerting.Deliveries;
using Polly;

namespace Forecast.Alerting.Outbox;

/// <summary>
/// One delivery's queue in the silo's outbox and the worker that empties it, oldest first, so a sensor's
/// events arrive in order. Every event is in the store before <see cref="EnqueueAsync"/> returns (or, where the
/// store refuses it, held in memory and written once it takes writes again: <see cref="HeldWrites"/>), and leaves
/// it only once the receiver took it or refused it for good (<see cref="ReceiverClient"/> says which, and how
/// long to wait before trying again); a 410 turns the delivery off. The queue is bounded:
/// when it is full the oldest resolved event goes first (then the oldest of any), counted as dropped, so a
/// slow receiver never holds up readings.
/// </summary>
internal sealed partial class DeliveryChannel
{
    private readonly IAlertDelivery _delivery;
    private readonly IAlertStore _store;
    private readonly string _collection;
    private readonly OutboxOptions _options;
    private readonly ReceiverClient _receiver;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline<SendOutcome> _retry;
    private readonly HeldWrites _writes;
    private readonly LinkedList<Entry> _queue = new();
    private readonly HashSet<string> _queued = [];
    private readonly SemaphoreSlim _signal = new(0);
    private readonly Lazy<Task> _loaded;
    private long _sequence;
    private long _delivered;
    private long _retries;
    private long _rejected;
    private long _dropped;

    public DeliveryChannel(
        IAlertDelivery delivery, IAlertStore store, string collection, OutboxOptions options, HttpClient http, TimeProvider clock, ILogger logger)
    {
        (_delivery, _store, _collection, _options, _clock, _logger) = (delivery, store, collection, options, clock, logger);
        _loaded = new Lazy<Task>(LoadAsync);
        _writes = new HeldWrites(delivery.Name, store, collection, options.RetryDelay, clock, logger);
        _receiver = new ReceiverClient(http, options.RequestTimeout, clock);
        _retry = ReceiverClient.UntilDelivered(options, clock, (attempt, reason, delay) =>
        {
            Interlocked.Increment(ref _retries);
            LogRetry(_logger, _delivery.Name, attempt, reason, delay, Pending);
        });
    }

    public string Name => _delivery.Name;

    /// <summary>The store collection of silo <paramref name="outbox"/>'s queue for <paramref name="delivery"/>.</summary>
    public static string Collection(string outbox, string delivery) => $"outbox.{outbox}.{delivery}";

    public bool Disabled { get; private set; }

    public int Pending
    {
        get
        {
            lock (_queue)
            {
                return _queue.Count;
            }
        }
    }

    public DeliveryCounters Counters => new(
        Name, Pending, Interlocked.Read(ref _delivered), Interlocked.Read(ref _retries), Interlocked.Read(ref _rejected),
        Interlocked.Read(ref _dropped), Disabled, _writes.Failures, _writes.Count, _writes.Error);

    /// <summary>Stores <paramref name="e"/> and wakes the worker; an event already queued (a replay) is not stored twice.</summary>
    public async ValueTask EnqueueAsync(AlertEvent e, CancellationToken cancellationToken)
    {
        await _loaded.Value;
        if (Disabled)
        {
            return;
        }

        Entry entry;
        Entry? dropped = null;
        lock (_queue)
        {
            if (!_queued.Add(e.Id))
            {
                return;
            }

            entry = new Entry(++_sequence, e);
            if (_queue.Count >= _options.Capacity)
            {
                dropped = Victim();
                _queue.Remove(dropped);
                _queued.Remove(dropped.Event.Id);
            }

            _queue.AddLast(entry);
        }

        await _writes.PutAsync(e.Id, JsonSerializer.Serialize(entry, AlertJson.Options), cancellationToken);
        if (dropped is not null)
        {
            Interlocked.Increment(ref _dropped);
            LogDropped(_logger, _delivery.Name, dropped.Event.Id, dropped.Event.Kind, dropped.Event.SensorId, _options.Capacity);
            await _writes.DeleteAsync(dropped.Event.Id, cancellationToken);
        }

        _signal.Release();
    }

    /// <summary>Delivers until <paramref name="stopping"/> is cancelled or the receiver answers 410.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        await _loaded.Value;
        var resending = _delivery as IResendingDelivery;
        if (resending is not null)
        {
            await _writes.RunAsync(() => resending.LoadAsync(stopping), "(firing alerts)", "load");
        }

        var nextResend = _clock.GetUtcNow() + (resending?.ResendInterval ?? TimeSpan.Zero);
        while (!stopping.IsCancellationRequested && !Disabled)
        {
            var batch = Head();
            if (batch.Count > 0)
            {
                await DeliverAsync(batch, resending, stopping);
            }
            else
            {
                var wait = resending is null ? Timeout.InfiniteTimeSpan : TimeSpan.FromTicks(Math.Max(0, (nextResend - _clock.GetUtcNow()).Ticks));
                try
                {
                    await _signal.WaitAsync(wait, stopping);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            if (resending is not null && _clock.GetUtcNow() >= nextResend)
            {
                nextResend = _clock.GetUtcNow() + resending.ResendInterval;
                await ResendAsync(resending, stopping);
            }
        }
    }

    private async Task DeliverAsync(List<Entry> batch, IResendingDelivery? resending, CancellationToken stopping)
    {
        var events = batch.ConvertAll(entry => entry.Event);
        SendOutcome outcome;
        try
        {
            outcome = await _retry.ExecuteAsync(token => _receiver.SendAsync(() => _delivery.CreateRequest(events, _clock.GetUtcNow()), token), stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Not the receiver's doing (a request that cannot be built or sent at all): retrying would loop.
            outcome = new SendOutcome(OutcomeKind.Rejected, exception.Message);
        }

        switch (outcome.Kind)
        {
            case OutcomeKind.Delivered:
                Interlocked.Add(ref _delivered, batch.Count);
                if (resending is not null)
                {
                    await _writes.RunAsync(() => resending.DeliveredAsync(events, stopping), events[0].Id, "note as firing");
                }

                break;
            case OutcomeKind.Gone:
                Disabled = true;
                LogGone(_logger, _delivery.Name, Pending);
                return;
            default:
                Interlocked.Add(ref _rejected, batch.Count);
                LogRejected(_logger, _delivery.Name, batch.Count, batch[0].Event.Id, outcome.Reason);
                break;
        }

        lock (_queue)
        {
            foreach (var entry in batch)
            {
                if (_queue.Remove(entry))
                {
                    _queued.Remove(entry.Event.Id);
                }
            }
        }

        foreach (var entry in batch)
        {
            await _writes.DeleteAsync(entry.Event.Id, stopping);
        }
    }

    /// <summary>
    /// Writes again, every <see cref="OutboxOptions.RetryDelay"/>, what the store refused (a full disk, Redis
    /// down), until <paramref name="stopping"/>. Meanwhile those events go out from memory: an alert is never
    /// worth a blocked reading.
    /// </summary>
    public Task KeepStoredAsync(CancellationToken stopping) => _writes.RetryAsync(
        id =>
        {
            lock (_queue)
            {
                return _queued.Contains(id);
            }
        },
        stopping);

    /// <summary>Waits until the queue is empty, at most <paramref name="timeout"/>; true when it is.</summary>
    public async Task<bool> DrainAsync(TimeSpan timeout)
    {
        var deadline = _clock.GetUtcNow() + timeout;
        while (Pending > 0 && !Disabled && _clock.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), _clock);
        }

        return Pending == 0;
    }

    private async Task ResendAsync(IResendingDelivery resending, CancellationToken stopping)
    {
        // Best effort: a missed resend is made good by the next, long before the alerts' endsAt.
        if (resending.CreateResend(_clock.GetUtcNow()) is not { } request)
        {
            return;
        }

        try
        {
            var outcome = await _receiver.SendAsync(() => request, stopping);
            if (outcome.Kind != OutcomeKind.Delivered)
            {
                LogResendFailed(_logger, _delivery.Name, outcome.Reason);
            }
        }
        catch (Exception exception) when (exception is HttpRequestException or TimeoutException or TaskCanceledException && !stopping.IsCancellationRequested)
        {
            LogResendFailed(_logger, _delivery.Name, exception.Message);
        }
    }

    private List<Entry> Head()
    {
        lock (_queue)
        {
            return [.. _queue.Take(_delivery.MaxBatch)];
        }
    }

    /// <summary>The event a full queue gives up: the oldest resolved one, else the oldest (never the head being sent).</summary>
    private Entry Victim()
    {
        var head = _queue.First!.Value;
        return _queue.Skip(1).FirstOrDefault(entry => entry.Event.Kind == AlertEventKind.Resolved)
            ?? _queue.Skip(1).FirstOrDefault()
            ?? head;
    }

    private async Task LoadAsync()
    {
        IReadOnlyDictionary<string, string> stored;
        try
        {
            stored = await _store.ReadAsync(_collection);
        }
        catch (Exception exception)
        {
            // Readings must not wait on the outbox: start empty; what the store holds goes out after a restart.
            LogLoadFailed(_logger, exception, _delivery.Name);
            return;
        }

        var entries = stored.Values
            .Select(json => AlertJson.Read<Entry>(json))
            .OfType<Entry>()
            .Where(entry => entry.Event?.Id is not null)
            .OrderBy(entry => entry.Sequence)
            .ToList();
        lock (_queue)
        {
            foreach (var entry in entries.Where(entry => _queued.Add(entry.Event.Id)))
            {
                _queue.AddLast(entry);
            }

            _sequence = entries.Count > 0 ? entries[^1].Sequence : 0;
        }

        if (entries.Count > 0)
        {
            LogResumed(_logger, _delivery.Name, entries.Count);
            _signal.Release();
        }
    }

    /// <summary>An event in the queue, with its place in it.</summary>
    internal sealed record Entry(long Sequence, AlertEvent Event);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert delivery {Delivery}: attempt {Attempt} failed ({Reason}); retrying in {Delay} ({Pending} events waiting)")]
    private static partial void LogRetry(ILogger logger, string delivery, int attempt, string reason, TimeSpan delay, int pending);

    [LoggerMessage(Level = LogLevel.Error, Message = "Alert delivery {Delivery}: the receiver refused {Count} event(s) from {EventId} for good, not retried: {Reason}")]
    private static partial void LogRejected(ILogger logger, string delivery, int count, string eventId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Alert delivery {Delivery}: the receiver answered 410 Gone; this delivery is off until the silo restarts ({Pending} events stay in the outbox)")]
    private static partial void LogGone(ILogger logger, string delivery, int pending);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert delivery {Delivery}: outbox full ({Capacity} events); dropped {EventId} ({Kind}, sensor {SensorId})")]
    private static partial void LogDropped(ILogger logger, string delivery, string eventId, AlertEventKind kind, string sensorId, int capacity);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert delivery {Delivery}: could not read the outbox's store; starting empty, and what it holds goes out after a restart")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception, string delivery);

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert delivery {Delivery}: {Count} undelivered events from before the restart are queued again")]
    private static partial void LogResumed(ILogger logger, string delivery, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert delivery {Delivery}: resending firing alerts failed ({Reason}); the next resend tries again")]
    private static partial void LogResendFailed(ILogger logger, string delivery, string reason);
}

/// <summary>One delivery's counters since the silo started.</summary>
/// <remarks>
/// <c>Unstored</c>: writes the outbox's store refused; <c>Held</c>: those not yet made good (events kept only in
/// memory, removals to make); <c>StoreError</c>: the store's error while any are held.
/// </remarks>
public sealed record DeliveryCounters(
    string Name, int Pending, long Delivered, long Retries, long Rejected, long Dropped, bool Disabled, long Unstored = 0, int Held = 0, string? StoreError = null);
