using System.Diagnostics;
using Orleans.Core.Internal;
using Forecast.Abstractions;
using Forecast.Host.Simulation;

namespace Forecast.Bench;

/// <summary>
/// The idle phase of <c>bench pipeline</c>: every sensor is deactivated, as Orleans' activation collector
/// does with sensors idle for <c>GrainCollectionOptions.CollectionAge</c>, so only their stored state
/// remains; then each gets one more reading, and a sample is checked to have resumed from that state rather
/// than from scratch. Sensors go idle a slice at a time, as they do in production (the collector takes those
/// past their age each pass): all at once, each one's live state and its serialized copy are in memory
/// together, which at a million sensors held the heap at its cap for 15 minutes.
/// </summary>
internal static class IdleSensors
{
    private const int SampleSize = 1_000;
    private const int Slice = 50_000;

    internal sealed record Result(int Deactivated, double BytesPerSensor, double ReactivatedPerSecond, double ReactivatedBytesPerSensor, int Sampled, int Resumed);

    public static async Task<Result> DeactivateAndResumeAsync(
        IGrainFactory grains, ReadingDriver driver, SimulatedSensor[] sensors, long tick, Func<long> managedBytes, long baseline)
    {
        var sample = sensors.Where((_, i) => i % Math.Max(1, sensors.Length / SampleSize) == 0).Take(SampleSize).ToArray();
        var before = await AppliedAsync(grains, sample);

        var management = grains.GetGrain<IManagementGrain>(0);
        var active = await management.GetTotalActivationCount();
        var done = 0;
        foreach (var slice in sensors.Chunk(Slice))
        {
            await Task.WhenAll(slice.Select(sensor =>
                grains.GetGrain<ISensorGrain>(sensor.Id).AsReference<IGrainManagementExtension>().DeactivateOnIdle().AsTask()));
            done += slice.Length;
            await WaitForActivationsAsync(management, active - done);
            if (sensors.Length > Slice)
            {
                Console.Error.WriteLine($"  idle: {done:N0} of {sensors.Length:N0} sensors deactivated");
            }
        }

        var deactivated = active - await management.GetTotalActivationCount();
        var bytesPerSensor = (managedBytes() - baseline) / (double)sensors.Length;
        // Printed before the reactivation, which needs every sensor's live state back beside its stored copy.
        Console.Error.WriteLine($"  idle: {deactivated:N0} activations collected, {bytesPerSensor:N0} bytes per idle sensor; reactivating every sensor");

        var started = Stopwatch.GetTimestamp();
        await PipelineBenchmark.SendTicksAsync(driver, sensors, tick, 1);
        await driver.DrainAsync();
        var reactivatedPerSecond = sensors.Length / Stopwatch.GetElapsedTime(started).TotalSeconds;
        var reactivatedBytesPerSensor = (managedBytes() - baseline) / (double)sensors.Length;

        // Restored state: each sampled sensor counts exactly one more reading than before it went idle. A
        // sensor that came back empty would count one.
        var after = await AppliedAsync(grains, sample);
        var resumed = before.Zip(after).Count(pair => pair.Second == pair.First + 1);
        return new Result(deactivated, bytesPerSensor, reactivatedPerSecond, reactivatedBytesPerSensor, sample.Length, resumed);
    }

    /// <summary>Waits, up to a minute, until no more than <paramref name="count"/> activations are left.</summary>
    private static async Task WaitForActivationsAsync(IManagementGrain management, int count)
    {
        var deadline = Stopwatch.GetTimestamp() + (60 * Stopwatch.Frequency);
        while (await management.GetTotalActivationCount() > count && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(50);
        }
    }

    private static Task<long[]> AppliedAsync(IGrainFactory grains, SimulatedSensor[] sample) =>
        Task.WhenAll(sample.Select(async sensor => (await grains.GetGrain<ISensorGrain>(sensor.Id).GetStatusAsync()).Applied));
}
