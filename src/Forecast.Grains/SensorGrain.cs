using Forecast.Abstractions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Forecast.Grains;

/// <summary>One activation per sensor: a thin shell over <see cref="SensorStream"/> and the ports.</summary>
internal sealed partial class SensorGrain(
    IForecaster forecaster,
    IPredictionSink sink,
    IOptions<AnomalyOptions> options,
    ILogger<SensorGrain> logger) : Grain, ISensorGrain
{
    private SensorStream _stream = null!;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _stream = new SensorStream(this.GetPrimaryKeyString(), options.Value);
        return Task.CompletedTask;
    }

    public async Task<ApplyResult> ApplyAsync(SensorReadings readings)
    {
        try
        {
            var output = await _stream.ApplyAsync(readings.Items, forecaster);
            if (output.Predictions.Count > 0)
            {
                await sink.WriteAsync(output.ToSinkBatch());
            }

            return output.ToResult();
        }
        catch (Exception exception)
        {
            // The stream may have advanced past readings whose predictions were never stored. Dropping
            // the activation makes the caller's retry start from the last durable state, not skip them.
            LogApplyFailed(logger, exception, _stream.SensorId);
            DeactivateOnIdle();
            throw;
        }
    }

    public Task<SensorStatus> GetStatusAsync() => Task.FromResult(_stream.Status());

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sensor {SensorId}: applying readings failed; the activation is dropped so a retry starts clean")]
    private static partial void LogApplyFailed(ILogger logger, Exception exception, string sensorId);
}
