using System.Collections.Concurrent;
using Forecast.Abstractions;

namespace Forecast.Grains;

/// <summary>
/// With durable storage, writes each changed sensor's state at the latest <see cref="SensorOptions.CheckpointInterval"/>
/// after the change, through one clock for the silo: a grain timer per sensor cost about 700 bytes each. A sensor
/// that changes enqueues itself once; when it comes due and its activation is still live, the clock calls its
/// <see cref="ISensorGrain.FlushAsync"/>, which queues behind the sensor's other calls like any call.
/// </summary>
internal sealed partial class CheckpointClock(IGrainFactory grains, IOptions<SensorOptions> options, ILogger<CheckpointClock> logger)
    : BackgroundService
{
    // In due order: every entry waits the same interval.
    private readonly ConcurrentQueue<(Ticket Ticket, long Due)> _queue = new();
    private readonly long _interval = (long)(options.Value.CheckpointInterval.TotalSeconds * TimeProvider.System.TimestampFrequency);

    // Sensors that changed together come due together (a backlog, a silo's start): a few writes at a time
    // keep that from stalling the readings behind it, and a write waits for one to finish rather than a tick.
    private readonly SemaphoreSlim _writes = new(MaxWrites);

    /// <summary>Checkpoints the clock has in flight at once.</summary>
    internal const int MaxWrites = 32;

    /// <summary>Sensors waiting for their checkpoint.</summary>
    public int Waiting => _queue.Count;

    /// <summary>
    /// Has the ticket's sensor flushed one interval from now, unless its activation is gone by then; does nothing
    /// while the ticket already waits.
    /// </summary>
    public void Schedule(Ticket ticket)
    {
        if (ticket.TryQueue())
        {
            _queue.Enqueue((ticket, TimeProvider.System.GetTimestamp() + _interval));
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Ticks at most half an interval apart, so a write is never more than that late.
        var tick = TimeSpan.FromMilliseconds(Math.Min(1000, options.Value.CheckpointInterval.TotalMilliseconds / 2));
        using var timer = new PeriodicTimer(tick);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = TimeProvider.System.GetTimestamp();
                while (_queue.TryPeek(out var next) && next.Due <= now && _queue.TryDequeue(out next))
                {
                    // Out of the queue before the call: a sensor that changes meanwhile, or whose call fails,
                    // queues again.
                    next.Ticket.Dequeued();
                    await _writes.WaitAsync(stoppingToken);
                    if (next.Ticket.Live)
                    {
                        _ = FlushAsync(next.Ticket.SensorId);
                    }
                    else
                    {
                        _writes.Release();
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The silo is stopping: its sensors write on deactivation.
        }
    }

    private async Task FlushAsync(string sensorId)
    {
        try
        {
            await grains.GetGrain<ISensorGrain>(sensorId).FlushAsync();
        }
        catch (Exception exception)
        {
            // The sensor logs a failed write itself and tries again at its next checkpoint.
            LogFlushFailed(logger, exception, sensorId);
        }
        finally
        {
            _writes.Release();
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _writes.Dispose();
    }

    /// <summary>
    /// One activation's place in the clock: its sensor's id, whether it waits in the queue, and whether the
    /// activation still runs. Not the grain itself, which would keep a collected sensor's whole state in memory
    /// until it came due.
    /// </summary>
    internal sealed class Ticket(string sensorId)
    {
        private volatile bool _live = true;
        private int _queued;

        public string SensorId { get; } = sensorId;

        public bool Live => _live;

        public void Cancel() => _live = false;

        internal bool TryQueue() => Volatile.Read(ref _queued) == 0 && Interlocked.CompareExchange(ref _queued, 1, 0) == 0;

        internal void Dequeued() => Volatile.Write(ref _queued, 0);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Sensor {SensorId}: the call to write its checkpoint failed; it is written at the next one")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception, string sensorId);
}
