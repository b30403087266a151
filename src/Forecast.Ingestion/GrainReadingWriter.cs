using System.Diagnostics;
using Forecast.Abstractions;
using Forecast.Diagnostics;

namespace Forecast.Ingestion;

/// <summary>
/// Embedded mode's <see cref="IReadingWriter"/>: one grain call per sensor with its readings in order, all sensors
/// at once. A reading sent again (a device retrying after an error) is ignored by its grain as a duplicate.
/// </summary>
internal sealed class GrainReadingWriter(IGrainFactory grains, PipelineMetrics metrics) : IReadingWriter
{
    public async Task WriteAsync(IReadOnlyList<SensorReading> readings, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        metrics.RecordSent(readings.Count);
        var calls = readings
            .GroupBy(r => r.SensorId, StringComparer.Ordinal)
            .Select(sensor => ApplyAsync(sensor.Key, [.. sensor], started));
        await Task.WhenAll(calls).WaitAsync(cancellationToken);
    }

    private async Task ApplyAsync(string sensorId, SensorReading[] readings, long started)
    {
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
    }
}
