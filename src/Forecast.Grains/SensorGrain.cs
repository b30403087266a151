using Forecast.Abstractions;
using Orleans.Runtime.Placement;
using Orleans.Storage;

namespace Forecast.Grains;

/// <summary>
/// One activation per sensor: a thin shell over <see cref="SensorStream"/>, the ports and grain storage.
/// The stream's state is written every <see cref="SensorOptions.CheckpointReadings"/> applied readings,
/// at the latest <see cref="SensorOptions.CheckpointInterval"/> after it changed, and on deactivation;
/// an activation resumes from the last write. A caller naming another silo as the placement hint (the
/// Kafka consumer that owns the sensor's partition) makes the activation migrate there with its state.
/// When another activation of the same sensor wrote the state first (an ETag conflict, possible while
/// membership changes), this one is dropped so the next call resumes from what the other wrote.
/// Each call is served by the versions the <see cref="IModelRouter"/> names when it starts, so a call in
/// flight finishes on the version it began with; a shadow version steps a copy of the stream that is
/// never checkpointed and never alerts.
/// </summary>
internal sealed partial class SensorGrain(
    IModelRouter models,
    IModelAccuracy accuracy,
    IPredictionSink sink,
    IAlertOutbox alerts,
    IOptions<AnomalyOptions> options,
    IOptions<AlertRuleOptions> alertRules,
    IOptions<SensorOptions> sensorOptions,
    [PersistentState("sensor", SensorOptions.StorageName)] IPersistentState<SensorState> state,
    CheckpointClock clock,
    ILocalSiloDetails silo,
    ILogger<SensorGrain> logger) : Grain, ISensorGrain, IGrainMigrationParticipant
{
    private static readonly SensorState Released = new();
    private const string MigratedStream = "forecast.stream";
    private const string MigratedChanged = "forecast.changed";

    private SensorStream _stream = null!;

    // A shadow version's copy of the stream, while the sensor is in a shadow cohort; memory only.
    private SensorStream? _shadow;

    // Applied readings since the last successful write, and whether anything (counters included) changed.
    private int _unwritten;
    private bool _changed;

    // Set when the stream ran ahead of the predictions stored: such state must never be written.
    private bool _discard;

    // Whether a migration to the caller's silo was asked for already (once per activation).
    private bool _moving;

    // The live stream's state when this activation arrived by migration.
    private SensorState? _migrated;

    // This activation's place in the checkpoint clock (with durable storage).
    private CheckpointClock.Ticket? _ticket;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var id = this.GetPrimaryKeyString();
        _stream = _migrated is not null ? SensorStream.Restore(id, options.Value, _migrated, logger, alertRules.Value)
            : state.RecordExists ? SensorStream.Restore(id, options.Value, state.State, logger, alertRules.Value)
            : new SensorStream(id, options.Value, logger, alertRules.Value);
        _migrated = null;

        // The stream copied what it needs: holding the read state as well doubled a reactivated sensor's memory.
        state.State = Released;
        if (sensorOptions.Value.DurableStorage)
        {
            // Arrived by migration with changes not yet written.
            ScheduleCheckpoint();
        }
        else if (state.RecordExists)
        {
            // Memory storage holds a sensor only while it is idle, as it never holds a live one: a stored
            // copy beside the live stream cost a reactivated sensor 5 KB more than an active one. The stream
            // goes back to storage when this activation is collected, whether or not readings changed it.
            await state.ClearStateAsync();
            state.State = Released;
            _changed = true;
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _ticket?.Cancel();
        // Also before a migration: the live state travels in memory (OnDehydrate), but if the target silo
        // dies mid-move the next activation starts from storage, which then is this state.
        if (_changed && (sensorOptions.Value.DurableStorage || reason.ReasonCode != DeactivationReasonCode.ShuttingDown))
        {
            await CheckpointAsync();
        }
    }

    public async Task<ApplyResult> ApplyAsync(SensorReadings readings)
    {
        FollowCaller();
        var route = models.Route(_stream.SensorId);
        StreamOutput output;
        try
        {
            using var span = ForecastTelemetry.Source.StartActivity("sensor.apply");
            span?.SetTag("forecast.sensor", _stream.SensorId);
            // Copied before the served stream applies the readings, so the shadow applies the same ones.
            _shadow = route.Shadow is null ? null : _shadow ?? _stream.ForShadow();
            output = await _stream.ApplyAsync(readings.Items, route.Serving);
            Record(route.Serving, output);
            var shadow = await ShadowAsync(readings, route.Shadow);
            if (output.Predictions.Count > 0)
            {
                using var write = ForecastTelemetry.Source.StartActivity("sink.write");
                await sink.WriteAsync(output.ToSinkBatch(shadow));
            }

            foreach (var anomaly in output.Anomalies)
            {
                ForecastTelemetry.Anomalies.Add(1, ForecastTelemetry.SeverityTag(anomaly.Severity));
            }

            // Durable in the outbox before the readings are acknowledged: a crash after this replays
            // nothing that raised them, and a crash before it raises them again with the same ids.
            if (output.Alerts.Count > 0)
            {
                await alerts.EnqueueAsync(output.Alerts);
            }
        }
        catch (Exception exception)
        {
            // The stream may have advanced past readings whose predictions were never stored. Dropping
            // the activation (without writing its state) makes the caller's retry start from the last
            // durable state, not skip them.
            LogApplyFailed(logger, exception, _stream.SensorId);
            _discard = true;
            DeactivateOnIdle();
            throw;
        }

        // Written only after the sink took the predictions: a checkpoint never claims readings whose
        // predictions could still be lost.
        _changed |= readings.Items.Count > 0;
        _unwritten += output.Predictions.Count;
        // In-memory storage dies with the silo: it only carries state across idle deactivation, so a
        // periodic copy of every live sensor would just double its memory.
        if (sensorOptions.Value.DurableStorage && _unwritten >= sensorOptions.Value.CheckpointReadings)
        {
            await CheckpointAsync();
        }
        else if (sensorOptions.Value.DurableStorage)
        {
            ScheduleCheckpoint();
        }

        return output.ToResult();
    }

    public async Task FlushAsync()
    {
        if (_changed && sensorOptions.Value.DurableStorage)
        {
            await CheckpointAsync();

            // A write that failed is tried again an interval later, readings or not.
            ScheduleCheckpoint();
        }
    }

    public Task<SensorStatus> GetStatusAsync() => Task.FromResult(_stream.Status() with
    {
        Silo = silo.SiloAddress.ToString(),
        Shadow = _shadow?.Status().Model,
    });

    /// <summary>
    /// Steps the shadow copy; its predictions come back for the sink, its anomalies and alerts are dropped. A
    /// shadow that fails is logged and started afresh on the next call: it never fails the served readings.
    /// </summary>
    private async Task<IReadOnlyList<Prediction>> ShadowAsync(SensorReadings readings, IForecaster? forecaster)
    {
        if (_shadow is null || forecaster is null)
        {
            return [];
        }

        try
        {
            var output = await _shadow.ApplyAsync(readings.Items, forecaster);
            Record(forecaster, output);
            return output.Predictions;
        }
        catch (Exception exception)
        {
            LogShadowFailed(logger, exception, _stream.SensorId, forecaster.Model.Id);
            _shadow = null;
            return [];
        }
    }

    private void Record(IForecaster forecaster, StreamOutput output)
    {
        if (output.Scored > 0)
        {
            accuracy.Record(forecaster.Model.Id, output.Scored, output.AbsoluteError, output.Covered);
        }
    }

    void IGrainMigrationParticipant.OnDehydrate(IDehydrationContext migration)
    {
        if (!_discard)
        {
            migration.TryAddValue(MigratedStream, _stream.Export());
            migration.TryAddValue(MigratedChanged, _changed);
        }
    }

    void IGrainMigrationParticipant.OnRehydrate(IRehydrationContext migration)
    {
        if (migration.TryGetValue(MigratedStream, out SensorState? stream))
        {
            _migrated = stream;
            _changed = migration.TryGetValue(MigratedChanged, out bool changed) && changed;
        }
    }

    /// <summary>Migrates, once idle, to the silo the caller names as placement hint when that is not this one.</summary>
    private void FollowCaller()
    {
        if (!_moving && RequestContext.Get(IPlacementDirector.PlacementHintKey) is SiloAddress owner && !owner.Equals(silo.SiloAddress))
        {
            _moving = true;
            LogMoving(logger, _stream.SensorId, silo.SiloAddress, owner);
            this.MigrateOnIdle();
        }
    }

    /// <summary>Has the clock flush this sensor one checkpoint interval from now, if it changed and is not waiting already.</summary>
    private void ScheduleCheckpoint()
    {
        if (_changed)
        {
            clock.Schedule(_ticket ??= new CheckpointClock.Ticket(_stream.SensorId));
        }
    }

    /// <summary>Writes the stream's state; a failure is logged and the next checkpoint tries again.</summary>
    private async Task CheckpointAsync()
    {
        if (_discard)
        {
            return;
        }

        state.State = _stream.Export();
        try
        {
            await state.WriteStateAsync();
            _unwritten = 0;
            _changed = false;

            // The storage has it now; the activation keeps its live stream, not a second copy.
            state.State = Released;
        }
        catch (InconsistentStateException exception)
        {
            // Two activations of one sensor (membership was changing): the other wrote first, so its state
            // wins. This one stops writing and goes; the next call resumes from the stored state, and
            // readings the other already applied are ignored as replays.
            LogConflict(logger, exception, _stream.SensorId);
            _discard = true;
            DeactivateOnIdle();
        }
        catch (Exception exception)
        {
            LogCheckpointFailed(logger, exception, _stream.SensorId, _unwritten);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sensor {SensorId}: applying readings failed; the activation is dropped so a retry starts clean")]
    private static partial void LogApplyFailed(ILogger logger, Exception exception, string sensorId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sensor {SensorId}: shadow model {ModelId} failed; the served readings are not affected and the shadow starts afresh")]
    private static partial void LogShadowFailed(ILogger logger, Exception exception, string sensorId, string modelId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Sensor {SensorId}: moving from silo {From} to {To}, where its partition is consumed")]
    private static partial void LogMoving(ILogger logger, string sensorId, SiloAddress from, SiloAddress to);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sensor {SensorId}: another activation wrote its state first (ETag conflict); this activation is dropped and the next call resumes from the stored state")]
    private static partial void LogConflict(ILogger logger, Exception exception, string sensorId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sensor {SensorId}: writing its checkpoint failed ({Unwritten} applied readings not yet durable); the next checkpoint retries")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception exception, string sensorId, int unwritten);
}
