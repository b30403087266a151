namespace Forecast.Alerting.Outbox;

/// <summary>
/// One delivery's writes to the outbox's store, and those the store did not take (a full disk, Redis down): the
/// events then live only in the delivery's queue in memory, and the removals are not made yet. Both are written
/// again every <c>retryEvery</c> until the store takes them, so the outbox is whole on disk again without help.
/// A failing store is logged once as an error (at most once a minute, however many events fail), and its return
/// once: when nothing is held, a write went through and none failed for five retry periods (a nearly full disk
/// takes a short line now and then, which is no return). <see cref="Error"/> says what is wrong meanwhile.
/// </summary>
internal sealed partial class HeldWrites(string delivery, IAlertStore store, string collection, TimeSpan retryEvery, TimeProvider clock, ILogger logger)
{
    private static readonly TimeSpan ErrorLogEvery = TimeSpan.FromMinutes(1);

    // Event id -> the entry to store, or null: to remove. Puts are held only for events still queued.
    private readonly Dictionary<string, string?> _held = [];
    private DateTimeOffset _errorLoggedAt = DateTimeOffset.MinValue;
    private DateTimeOffset _lastFailure;
    private DateTimeOffset _lastSuccess;
    private bool _errorLogged;
    private long _written;
    private long _failures;
    private volatile string? _error;

    /// <summary>Writes not yet in the store: events kept in memory only, and removals still to make.</summary>
    public int Count
    {
        get
        {
            lock (_held)
            {
                return _held.Count;
            }
        }
    }

    /// <summary>Writes the store refused, counting each event once (retries are not counted).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>The store's last error while writes fail or wait; null when it takes them.</summary>
    public string? Error => _error;

    /// <summary>Stores <paramref name="entry"/> under <paramref name="id"/>, or holds it for a later try.</summary>
    public async Task PutAsync(string id, string entry, CancellationToken cancellationToken)
    {
        if (!await RunAsync(() => store.PutAsync(collection, id, entry, cancellationToken), id, "store"))
        {
            Hold(id, entry);
        }
        else if (_error is not null)
        {
            // Only a stored event shows that the store takes writes: removing a key it never took writes nothing.
            Succeeded();
        }
    }

    /// <summary>Removes <paramref name="id"/> from the store (a held write of it is dropped), or holds the removal.</summary>
    public async Task DeleteAsync(string id, CancellationToken cancellationToken)
    {
        lock (_held)
        {
            _held.Remove(id);
        }

        if (!await RunAsync(() => store.DeleteAsync(collection, id, cancellationToken), id, "remove"))
        {
            Hold(id, null);
        }
    }

    /// <summary>A write that is not held when it fails (it is made good by a later one); false when it failed.</summary>
    public async Task<bool> RunAsync(Func<Task> write, string id, string what)
    {
        try
        {
            await write();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            Interlocked.Increment(ref _failures);
            Failed(exception, id, what);
            return false;
        }

        return true;
    }

    /// <summary>Writes what is held every <c>retryEvery</c>, in order, stopping at the first failure, until <paramref name="stopping"/>.</summary>
    public async Task RetryAsync(Func<string, bool> queued, CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(retryEvery, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                KeyValuePair<string, string?>[] held;
                lock (_held)
                {
                    held = [.. _held];
                }

                var made = 0;

                foreach (var (id, entry) in held)
                {
                    // An event delivered or dropped meanwhile needs no storing.
                    if (entry is not null && !queued(id))
                    {
                        Release(id, entry);
                        continue;
                    }

                    try
                    {
                        await (entry is null ? store.DeleteAsync(collection, id, stopping) : store.PutAsync(collection, id, entry, stopping));
                    }
                    catch (Exception exception) when (exception is not OperationCanceledException)
                    {
                        Failed(exception, id, "write again");
                        break;
                    }

                    Release(id, entry);
                    made++;
                }

                Interlocked.Add(ref _written, made);
                if (made > 0)
                {
                    Succeeded();
                }

                if (_error is not null)
                {
                    Recovered();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Hold(string id, string? entry)
    {
        lock (_held)
        {
            _held[id] = entry;
        }
    }

    private void Release(string id, string? entry)
    {
        lock (_held)
        {
            // Only if unchanged: a removal may have replaced the held write meanwhile.
            if (_held.TryGetValue(id, out var now) && ReferenceEquals(now, entry))
            {
                _held.Remove(id);
            }
        }
    }

    private void Failed(Exception exception, string id, string what)
    {
        bool log;
        lock (_held)
        {
            _error = exception.Message;
            var now = clock.GetUtcNow();
            _lastFailure = now;
            log = now - _errorLoggedAt >= ErrorLogEvery;
            if (log)
            {
                (_errorLoggedAt, _errorLogged) = (now, true);
            }
        }

        if (log)
        {
            LogFailing(logger, exception, delivery, exception.Message);
        }
        else
        {
            LogFailedAgain(logger, delivery, what, id, exception.Message);
        }
    }

    private void Succeeded()
    {
        lock (_held)
        {
            _lastSuccess = clock.GetUtcNow();
        }
    }

    private void Recovered()
    {
        bool log;
        lock (_held)
        {
            if (_held.Count > 0 || _lastSuccess <= _lastFailure || clock.GetUtcNow() - _lastFailure < 5 * retryEvery)
            {
                return;
            }

            _error = null;
            log = _errorLogged;
            _errorLogged = false;
        }

        var written = Interlocked.Exchange(ref _written, 0);
        if (log)
        {
            LogRecovered(logger, delivery, written);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Alert delivery {Delivery}: the outbox's store takes no writes: {Reason} Alert events are still delivered, from memory (at most Alerts:Outbox:Capacity), and written to the store once it takes writes again; until then a crash would lose them")]
    private static partial void LogFailing(ILogger logger, Exception exception, string delivery, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Alert delivery {Delivery}: could not {What} event {EventId} in the outbox's store ({Reason}); held in memory")]
    private static partial void LogFailedAgain(ILogger logger, string delivery, string what, string eventId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert delivery {Delivery}: the outbox's store takes writes again; {Written} held writes made")]
    private static partial void LogRecovered(ILogger logger, string delivery, long written);
}
