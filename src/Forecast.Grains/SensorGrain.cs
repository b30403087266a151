using Forecast.Abstractions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Forecast.Grains;

/// <summary>
/// One activation per sensor: a thin shell over <see cref="SensorStream"/>, the ports and grain storage.
/// The stream's state is written every <see cref="SensorOptions.CheckpointReadings"/> applied readings,
/// at the latest <see cref="SensorOptions.CheckpointInterval"/> after it changed, and on deactivation;
/// an activation resumes from the last write.
/// </summary>
internal sealed partial class SensorGrain(
    IForecaster forecaster,
    IPredictionSink sink,
    IOptions<AnomalyOptions> options,
    IOptions<SensorOptions> sensorOptions,
    [PersistentState("sensor", SensorOptions.StorageName)] IPersistentState<SensorState> state,
    ILogger<SensorGrain> logger) : Grain, ISensorGrain
{
    private static readonly SensorState Released = new();

    private SensorStream _stream = null!;

    // Applied readings since the last successful write, and whether anything (counters included) changed.
    private int _unwritten;
    private bool _changed;

    // Set when the stream ran ahead of the predictions stored: such state must never be written.
    private bool _discard;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var id = this.GetPrimaryKeyString();
        _stream = state.RecordExists ? SensorStream.Restore(id, options.Value, state.State) : new SensorStream(id, options.Value);
        if (sensorOptions.Value.DurableStorage)
        {
            var interval = sensorOptions.Value.CheckpointInterval;
            this.RegisterGrainTimer(_ => _changed ? CheckpointAsync() : Task.CompletedTask, interval, interval);
        }

        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_changed && (sensorOptions.Value.DurableStorage || reason.ReasonCode != DeactivationReasonCode.ShuttingDown))
        {
            await CheckpointAsync();
        }
    }

    public async Task<ApplyResult> ApplyAsync(SensorReadings readings)
    {
        StreamOutput output;
        try
        {
            output = await _stream.ApplyAsync(readings.Items, forecaster);
            if (output.Predictions.Count > 0)
            {
                await sink.WriteAsync(output.ToSinkBatch());
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

        return output.ToResult();
    }

    public Task<SensorStatus> GetStatusAsync() => Task.FromResult(_stream.Status());

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
        catch (Exception exception)
        {
            LogCheckpointFailed(logger, exception, _stream.SensorId, _unwritten);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sensor {SensorId}: applying readings failed; the activation is dropped so a retry starts clean")]
    private static partial void LogApplyFailed(ILogger logger, Exception exception, string sensorId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sensor {SensorId}: writing its checkpoint failed ({Unwritten} applied readings not yet durable); the next checkpoint retries")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception exception, string sensorId, int unwritten);
}
