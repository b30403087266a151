namespace Forecast.Ingestion.Kafka;

/// <summary>
/// The commit position of one partition: the lowest offset still in flight, not the highest one
/// finished. Readings of many sensors share a partition and finish out of order; committing past an
/// unfinished one would lose it in a crash. Offsets are registered in consume order.
/// </summary>
internal sealed class PartitionWatermark
{
    private readonly Queue<long> _inFlight = new();
    private readonly HashSet<long> _doneEarly = [];
    private TaskCompletionSource? _drained;
    private long _next = -1;

    /// <summary>Set when the partition is revoked or lost; later completions change nothing that is committed.</summary>
    public bool Detached { get; set; }

    /// <summary>The offset last handed to the consumer to store.</summary>
    public long Stored { get; set; } = -1;

    public int InFlight
    {
        get
        {
            lock (_inFlight)
            {
                return _inFlight.Count;
            }
        }
    }

    /// <summary>The offset to commit (the next one to read after a restart), or null before anything finished.</summary>
    public long? Committable
    {
        get
        {
            lock (_inFlight)
            {
                return _inFlight.TryPeek(out var lowest) ? lowest : _next >= 0 ? _next : null;
            }
        }
    }

    public void Register(long offset)
    {
        lock (_inFlight)
        {
            _inFlight.Enqueue(offset);
        }
    }

    public void Complete(long offset)
    {
        lock (_inFlight)
        {
            _doneEarly.Add(offset);
            while (_inFlight.TryPeek(out var lowest) && _doneEarly.Remove(lowest))
            {
                _inFlight.Dequeue();
                _next = lowest + 1;
            }

            if (_inFlight.Count == 0 && _drained is { } drained)
            {
                _drained = null;
                drained.TrySetResult();
            }
        }
    }

    /// <summary>Completes when no offset registered so far is in flight any more.</summary>
    public Task WhenDrained()
    {
        lock (_inFlight)
        {
            return _inFlight.Count == 0
                ? Task.CompletedTask
                : (_drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    /// <summary>
    /// Blocks until every one of <paramref name="watermarks"/> has drained, or <paramref name="timeout"/>
    /// has passed on <paramref name="clock"/>. Blocking is what the callers need: librdkafka's revoke
    /// handler and the consumer's shutdown run on the consume thread and must not return before it.
    /// </summary>
    /// <returns>Whether they all drained in time.</returns>
    public static bool WaitDrained(IEnumerable<PartitionWatermark> watermarks, TimeSpan timeout, TimeProvider clock)
    {
        var drained = Task.WhenAll(watermarks.Select(w => w.WhenDrained()));
        try
        {
            drained.WaitAsync(timeout, clock).GetAwaiter().GetResult();
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
