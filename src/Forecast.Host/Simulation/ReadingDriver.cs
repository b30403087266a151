using System.Diagnostics;
using Forecast.Abstractions;
using Forecast.Diagnostics;

namespace Forecast.Host.Simulation;

/// <summary>
/// Sends readings to sensor grains with at most a fixed number of calls in flight, and records each
/// call's result and its latency from when the readings were made to when their predictions were durable.
/// </summary>
internal sealed class ReadingDriver(IGrainFactory grains, PipelineMetrics metrics, int maxInFlight)
{
    private readonly SemaphoreSlim _slots = new(maxInFlight, maxInFlight);

    public int InFlight => maxInFlight - _slots.CurrentCount;

    /// <summary>
    /// Starts one grain call, which hands its result to <paramref name="onResult"/> when it succeeds; waits
    /// first while <c>maxInFlight</c> calls are running. An untimed call (a sensor's history, hundreds of
    /// readings at once) is counted but kept out of the latency percentiles, which are about live readings.
    /// </summary>
    public async ValueTask SendAsync(
        string sensorId, SensorReading[] readings, long madeAt, CancellationToken cancellationToken, Action<ApplyResult>? onResult = null, bool timed = true)
    {
        await _slots.WaitAsync(cancellationToken);
        metrics.RecordSent(readings.Length);
        _ = CallAsync(sensorId, readings, timed ? madeAt : null, onResult);
    }

    /// <summary>Waits until every call started has finished.</summary>
    public async Task DrainAsync()
    {
        for (var i = 0; i < maxInFlight; i++)
        {
            await _slots.WaitAsync();
        }

        _slots.Release(maxInFlight);
    }

    private async Task CallAsync(string sensorId, SensorReading[] readings, long? madeAt, Action<ApplyResult>? onResult)
    {
        try
        {
            var result = await grains.GetGrain<ISensorGrain>(sensorId).ApplyAsync(new SensorReadings(readings));
            metrics.RecordResult(result, madeAt is { } made ? Stopwatch.GetElapsedTime(made) : null);
            onResult?.Invoke(result);
        }
        catch (Exception)
        {
            // Counted and shown on the progress line; the simulator does not retry.
            metrics.RecordFailure();
        }
        finally
        {
            _slots.Release();
        }
    }
}
