using System.Collections.Concurrent;
using Forecast.Abstractions;
using Forecast.Diagnostics;
using Microsoft.Extensions.Logging;
using Orleans.Runtime.Placement;

namespace Forecast.Ingestion.Kafka;

/// <summary>
/// Hands readings to sensor grains: one call per sensor carrying everything queued for it, at most one
/// call per sensor at a time (so a sensor's readings arrive in order), and at most
/// <see cref="KafkaIngestionOptions.MaxConcurrentCalls"/> calls in all. A failed call is retried until it
/// succeeds or ingestion stops; its readings stay in flight meanwhile, so their offsets are not committed.
/// With <see cref="KafkaIngestionOptions.ColocateSensors"/>, calls name this silo as the placement hint,
/// so sensors live where their partition is consumed.
/// </summary>
internal sealed partial class SensorRouter(
    IGrainFactory grains,
    KafkaIngestionOptions options,
    PipelineMetrics metrics,
    TimeProvider clock,
    ILogger<SensorRouter> logger,
    SiloAddress? localSilo = null)
{
    private readonly SiloAddress? _placeOn = options.ColocateSensors ? localSilo : null;
    private readonly ConcurrentDictionary<string, Lane> _lanes = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _calls = new(options.MaxConcurrentCalls, options.MaxConcurrentCalls);
    private long _inFlight;

    /// <summary>Readings routed and not yet durably processed.</summary>
    public long InFlight => Interlocked.Read(ref _inFlight);

    public void Route(string sensorId, List<PendingReading> readings, CancellationToken stopping)
    {
        Interlocked.Add(ref _inFlight, readings.Count);
        var lane = _lanes.GetOrAdd(sensorId, static id => new Lane(id));
        lock (lane)
        {
            lane.Queue.AddRange(readings);
            if (lane.Busy)
            {
                return;
            }

            lane.Busy = true;
        }

        _ = PumpAsync(lane, stopping);
    }

    private async Task PumpAsync(Lane lane, CancellationToken stopping)
    {
        if (_placeOn is not null)
        {
            // Set once per pump, it flows with every call the lane makes: placement of a new activation
            // honours it, and an activation elsewhere migrates to it.
            RequestContext.Set(IPlacementDirector.PlacementHintKey, _placeOn);
        }

        while (true)
        {
            List<PendingReading> batch;
            lock (lane)
            {
                if (lane.Queue.Count == 0 || stopping.IsCancellationRequested)
                {
                    lane.Busy = false;
                    return;
                }

                batch = lane.Queue;
                lane.Queue = [];
            }

            await CallAsync(lane.SensorId, batch, stopping);
        }
    }

    private async Task CallAsync(string sensorId, List<PendingReading> batch, CancellationToken stopping)
    {
        var readings = new SensorReadings([.. batch.Select(p => p.Reading)]);
        for (var attempt = 0; !stopping.IsCancellationRequested; attempt++)
        {
            try
            {
                await _calls.WaitAsync(stopping);
                ApplyResult result;
                try
                {
                    result = await grains.GetGrain<ISensorGrain>(sensorId).ApplyAsync(readings);
                }
                finally
                {
                    _calls.Release();
                }

                var now = clock.GetUtcNow();
                metrics.RecordSent(batch.Count);
                metrics.RecordResult(result, now - batch.Min(p => p.Message.ProducedAt));
                foreach (var pending in batch)
                {
                    pending.Message.CompleteOne();
                }

                Interlocked.Add(ref _inFlight, -batch.Count);
                return;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                metrics.RecordFailure();
                LogCallFailed(logger, exception, sensorId, batch.Count, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5_000, 50 << Math.Min(attempt, 7))), CancellationToken.None);
            }
        }

        // Stopping: these readings stay uncommitted and are consumed again after the restart or rebalance.
        Interlocked.Add(ref _inFlight, -batch.Count);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sensor {SensorId}: applying {Readings} readings failed (attempt {Attempt}); retrying")]
    private static partial void LogCallFailed(ILogger logger, Exception exception, string sensorId, int readings, int attempt);

    private sealed class Lane(string sensorId)
    {
        public string SensorId => sensorId;

        public List<PendingReading> Queue { get; set; } = [];

        public bool Busy { get; set; }
    }
}
