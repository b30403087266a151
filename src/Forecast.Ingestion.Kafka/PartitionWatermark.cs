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
        }
    }
}
