using System.Collections.Concurrent;
using System.Diagnostics;
using Forecast.Abstractions;
using Forecast.Diagnostics;
using Orleans.Runtime.Placement;
using Polly;
using Polly.Retry;

namespace Forecast.Ingestion.Kafka;

/// <summary>
/// Hands readings to sensor grains: one call per sensor carrying everything queued for it, at most one
/// call per sensor at a time (so a sensor's readings arrive in order), and at most
/// <see cref="KafkaIngestionOptions.MaxConcurrentCalls"/> calls in all. A failed call is retried (see
/// <see cref="RetryPipelines"/>) until it succeeds or ingestion stops; its readings stay in flight
/// meanwhile, so their offsets are not committed.
/// With <see cref="KafkaIngestionOptions.ColocateSensors"/>, calls name this silo as the placement hint,
/// so sensors live where their partition is consumed.
/// </summary>
internal sealed partial class SensorRouter
{
    private static readonly ResiliencePropertyKey<string> SensorKey = new("Forecast.SensorId");
    private static readonly ResiliencePropertyKey<int> ReadingsKey = new("Forecast.Readings");

    private readonly IGrainFactory _grains;
    private readonly PipelineMetrics _metrics;
    private readonly TimeProvider _clock;
    private readonly ILogger<SensorRouter> _logger;
    private readonly SiloAddress? _placeOn;
    private readonly ConcurrentDictionary<string, Lane> _lanes = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _calls;
    private readonly ResiliencePipeline _retry;
    private long _inFlight;

    public SensorRouter(
        IGrainFactory grains,
        KafkaIngestionOptions options,
        PipelineMetrics metrics,
        TimeProvider clock,
        ILogger<SensorRouter> logger,
        SiloAddress? localSilo = null)
    {
        _grains = grains;
        _metrics = metrics;
        _clock = clock;
        _logger = logger;
        _placeOn = options.ColocateSensors ? localSilo : null;
        _calls = new SemaphoreSlim(options.MaxConcurrentCalls, options.MaxConcurrentCalls);

        // Every failure is retried while ingestion runs; a call that applied before it failed is ignored as a replay.
        _retry = RetryPipelines.UntilStopped(TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(5), clock, static _ => true, OnRetry);
    }

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

    /// <summary>
    /// A span for one grain call, continuing the trace of the first message that carried one and linking the
    /// others; Orleans carries it into the grain, and from there to inference and the sink.
    /// </summary>
    private static Activity? StartSpan(string sensorId, List<PendingReading> batch)
    {
        if (!ForecastTelemetry.Source.HasListeners())
        {
            return null;
        }

        var traces = batch.Select(p => p.Message.Trace).Where(t => t != default).Distinct().ToList();
        var span = ForecastTelemetry.Source.StartActivity(
            "kafka.process",
            ActivityKind.Consumer,
            traces.Count > 0 ? traces[0] : default,
            links: traces.Skip(1).Select(t => new ActivityLink(t)));
        span?.SetTag("forecast.sensor", sensorId);
        span?.SetTag("messaging.batch.message_count", batch.Count);
        return span;
    }

    private async Task CallAsync(string sensorId, List<PendingReading> batch, CancellationToken stopping)
    {
        using var span = StartSpan(sensorId, batch);
        var readings = new SensorReadings([.. batch.Select(p => p.Reading)]);
        try
        {
            ApplyResult result;
            try
            {
                // The first attempt is a plain call: nearly every call succeeds, and going through the retry pipeline
                // each time cost about 9% of bench kafka's readings/s. Only a failed call enters it.
                result = await ApplyOnceAsync(sensorId, readings, stopping);
            }
            catch (Exception exception) when (!stopping.IsCancellationRequested)
            {
                _metrics.RecordFailure();
                LogCallFailed(_logger, exception, sensorId, batch.Count, 1);
                result = await RetryAsync(sensorId, readings, batch.Count, stopping);
            }

            var now = _clock.GetUtcNow();
            _metrics.RecordSent(batch.Count);
            _metrics.RecordResult(result, now - batch.Min(p => p.Message.ProducedAt));
            foreach (var pending in batch)
            {
                pending.Message.CompleteOne();
            }
        }
        catch (Exception) when (stopping.IsCancellationRequested)
        {
            // Stopping: these readings stay uncommitted and are consumed again after the restart or rebalance.
        }
        finally
        {
            Interlocked.Add(ref _inFlight, -batch.Count);
        }
    }

    /// <summary>A failed call again, through <see cref="RetryPipelines"/>, until it succeeds or ingestion stops.</summary>
    private async Task<ApplyResult> RetryAsync(string sensorId, SensorReadings readings, int count, CancellationToken stopping)
    {
        var context = ResilienceContextPool.Shared.Get(stopping);
        try
        {
            context.Properties.Set(SensorKey, sensorId);
            context.Properties.Set(ReadingsKey, count);
            return await _retry.ExecuteAsync(
                static (context, state) => state.Router.ApplyOnceAsync(state.SensorId, state.Readings, context.CancellationToken),
                context,
                (Router: this, SensorId: sensorId, Readings: readings));
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private async ValueTask<ApplyResult> ApplyOnceAsync(string sensorId, SensorReadings readings, CancellationToken stopping)
    {
        await _calls.WaitAsync(stopping);
        try
        {
            return await _grains.GetGrain<ISensorGrain>(sensorId).ApplyAsync(readings);
        }
        finally
        {
            _calls.Release();
        }
    }

    private ValueTask OnRetry(OnRetryArguments<object> args)
    {
        _metrics.RecordFailure();
        LogCallFailed(
            _logger, args.Outcome.Exception!, args.Context.Properties.GetValue(SensorKey, ""), args.Context.Properties.GetValue(ReadingsKey, 0), args.AttemptNumber + 2);
        return default;
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
