using System.Diagnostics;
using Forecast.Abstractions;
using Forecast.Diagnostics;

namespace Forecast.Ingestion;

/// <summary>
/// Embedded mode's <see cref="IReadingWriter"/>: one grain call per sensor with its readings in order, at most
/// <paramref name="maxConcurrentCalls"/> calls in flight over all requests (more only queue inside the silo and
/// slow every call). A reading sent again (a device retrying after an error) is ignored by its grain as a duplicate.
/// </summary>
internal sealed class GrainReadingWriter(IGrainFactory grains, PipelineMetrics metrics, int maxConcurrentCalls = 1_000) : IReadingWriter
{
    private readonly SemaphoreSlim _calls = new(maxConcurrentCalls, maxConcurrentCalls);

    public async Task WriteAsync(IReadOnlyList<SensorReading> readings, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        metrics.RecordSent(readings.Count);
        var calls = readings
            .GroupBy(r => r.SensorId, StringComparer.Ordinal)
            .Select(sensor => ApplyAsync(sensor.Key, [.. sensor], started, cancellationToken));
        await Task.WhenAll(calls);
    }

    private async Task ApplyAsync(string sensorId, SensorReading[] readings, long started, CancellationToken cancellationToken)
    {
        await _calls.WaitAsync(cancellationToken);
        try
        {
            var result = await grains.GetGrain<ISensorGrain>(sensorId).ApplyAsync(new SensorReadings(readings));
            metrics.RecordResult(result, Stopwatch.GetElapsedTime(started));
        }
        catch (Exception)
        {
            metrics.RecordFailure();
            throw;
        }
        finally
        {
            _calls.Release();
        }
    }
}
