using System.Diagnostics;
using Forecast.Abstractions;
using Forecast.Host.Simulation;

namespace Forecast.Bench;

/// <summary>
/// The idle phase of <c>bench pipeline</c>: every sensor is deactivated, as Orleans' activation collector
/// does with sensors idle for <c>GrainCollectionOptions.CollectionAge</c>, so only their stored state
/// remains; then each gets one more reading, and a sample is checked to have resumed from that state rather
/// than from scratch.
/// </summary>
internal static class IdleSensors
{
    private const int SampleSize = 1_000;

    internal sealed record Result(int Deactivated, double BytesPerSensor, double ReactivatedPerSecond, int Sampled, int Resumed);

    public static async Task<Result> DeactivateAndResumeAsync(
        IGrainFactory grains, ReadingDriver driver, SimulatedSensor[] sensors, long tick, Func<long> managedBytes, long baseline)
    {
        var sample = sensors.Where((_, i) => i % Math.Max(1, sensors.Length / SampleSize) == 0).Take(SampleSize).ToArray();
        var before = await AppliedAsync(grains, sample);

        var management = grains.GetGrain<IManagementGrain>(0);
        var active = await management.GetTotalActivationCount();
        await management.ForceActivationCollection(TimeSpan.Zero);
        var deactivated = active - await management.GetTotalActivationCount();
        var bytesPerSensor = (managedBytes() - baseline) / (double)sensors.Length;

        var started = Stopwatch.GetTimestamp();
        await PipelineBenchmark.SendTicksAsync(driver, sensors, tick, 1);
        await driver.DrainAsync();
        var reactivatedPerSecond = sensors.Length / Stopwatch.GetElapsedTime(started).TotalSeconds;

        // Restored state: each sampled sensor counts exactly one more reading than before it went idle. A
        // sensor that came back empty would count one.
        var after = await AppliedAsync(grains, sample);
        var resumed = before.Zip(after).Count(pair => pair.Second == pair.First + 1);
        return new Result(deactivated, bytesPerSensor, reactivatedPerSecond, sample.Length, resumed);
    }

    private static Task<long[]> AppliedAsync(IGrainFactory grains, SimulatedSensor[] sample) =>
        Task.WhenAll(sample.Select(async sensor => (await grains.GetGrain<ISensorGrain>(sensor.Id).GetStatusAsync()).Applied));
}
