namespace Forecast.Sinks.InfluxDb;

/// <summary>
/// Bounds the lines the sink holds. Callers acquire room for their lines before queueing them and the
/// writer gives it back once the lines are written or refused. First come, first served: a large
/// request is not starved by smaller ones behind it.
/// </summary>
internal sealed class LineBudget
{
    private readonly Lock _lock = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private long _available;
    private Exception? _closed;

    public LineBudget(long capacity)
    {
        Capacity = capacity;
        _available = capacity;
    }

    public long Capacity { get; }

    /// <summary>Lines held now.</summary>
    public long InUse
    {
        get
        {
            lock (_lock)
            {
                return Capacity - _available;
            }
        }
    }

    /// <summary>Room a request for <paramref name="lines"/> takes: a request larger than the whole budget takes all of it.</summary>
    public int WeightOf(int lines) => (int)Math.Min(lines, Capacity);

    public ValueTask AcquireAsync(int weight, CancellationToken cancellationToken)
    {
        Waiter waiter;
        lock (_lock)
        {
            if (_closed is not null)
            {
                return ValueTask.FromException(_closed);
            }

            if (_waiters.Count == 0 && _available >= weight)
            {
                _available -= weight;
                return ValueTask.CompletedTask;
            }

            cancellationToken.ThrowIfCancellationRequested();
            waiter = new Waiter(weight);
            waiter.Node = _waiters.AddLast(waiter);
        }

        if (cancellationToken.CanBeCanceled)
        {
            waiter.Registration = cancellationToken.Register(static state =>
            {
                var (budget, w, token) = ((LineBudget, Waiter, CancellationToken))state!;
                budget.Cancel(w, token);
            }, (this, waiter, cancellationToken));
        }

        return new ValueTask(waiter.Completion.Task);
    }

    public void Release(int weight)
    {
        List<Waiter>? granted = null;
        lock (_lock)
        {
            _available += weight;
            while (_waiters.First is { } first && first.Value.Weight <= _available)
            {
                _available -= first.Value.Weight;
                _waiters.RemoveFirst();
                first.Value.Node = null;
                (granted ??= []).Add(first.Value);
            }
        }

        if (granted is not null)
        {
            foreach (var waiter in granted)
            {
                waiter.Registration.Dispose();
                waiter.Completion.TrySetResult();
            }
        }
    }

    /// <summary>Fails every waiting and future acquisition with <paramref name="reason"/>.</summary>
    public void Close(Exception reason)
    {
        List<Waiter> waiting;
        lock (_lock)
        {
            _closed ??= reason;
            waiting = [.. _waiters];
            _waiters.Clear();
        }

        foreach (var waiter in waiting)
        {
            waiter.Node = null;
            waiter.Registration.Dispose();
            waiter.Completion.TrySetException(reason);
        }
    }

    private void Cancel(Waiter waiter, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (waiter.Node is null)
            {
                return;
            }

            _waiters.Remove(waiter.Node);
            waiter.Node = null;
        }

        waiter.Completion.TrySetCanceled(cancellationToken);

        // The head may have been the one blocking smaller requests behind it.
        Release(0);
    }

    private sealed class Waiter(int weight)
    {
        public int Weight { get; } = weight;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public LinkedListNode<Waiter>? Node { get; set; }

        public CancellationTokenRegistration Registration { get; set; }
    }
}
