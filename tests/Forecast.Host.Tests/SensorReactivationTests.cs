using Forecast.Grains;
using Orleans.Core.Internal;
using Orleans.Serialization;
using Orleans.Storage;

namespace Forecast.Host.Tests;

/// <summary>
/// A sensor deactivated when idle and called again, in a silo composed as <c>forecast run</c> composes one,
/// with grain storage that hands out a fresh copy of the stored state on every read, as real storage does.
/// </summary>
public sealed class SensorReactivationTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 8, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task ApplyAsync_AfterIdleDeactivation_ResumesFromStorage_AndKeepsNoCopyOfTheStateItRead()
    {
        const string Id = "reactivated/sensor";
        var storage = new TestGrainStorage();
        await using var silo = await TestSilo.StartAsync(compose: builder => builder.Services.AddKeyedSingleton<IGrainStorage>(
            SensorOptions.StorageName, (services, _) => storage.UsingCopier(services.GetRequiredService<DeepCopier>())));
        var sensor = silo.Sensor(Id);
        await sensor.ApplyAsync(new SensorReadings(Readings(Id, 0, 130)));
        var before = await sensor.GetStatusAsync();

        await sensor.AsReference<IGrainManagementExtension>().DeactivateOnIdle();
        await TestSilo.WaitUntilAsync(() => storage.Written > 0, TimeSpan.FromSeconds(10), () => "the idle sensor wrote no state");
        var next = await sensor.ApplyAsync(new SensorReadings(Readings(Id, 130, 1)));

        var after = await sensor.GetStatusAsync();
        Assert.Equal(1, next.Applied);
        Assert.Equal(before.Applied + 1, after.Applied);
        Assert.Equal((before.ScalerMean, before.ScalerScale), (after.ScalerMean, after.ScalerScale));

        // Held beside the live stream, the state read at activation doubled a reactivated sensor's memory.
        var read = Assert.Single(storage.Read);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(read.IsAlive, "the activation still holds the state it was restored from");
    }

    [Fact]
    public async Task A_reactivated_sensor_is_not_held_by_memory_storage_while_live_and_goes_back_when_idle_again()
    {
        const string Id = "reactivated/twice";
        // The embedded mode's own memory storage, as forecast run composes it.
        await using var silo = await TestSilo.StartAsync();
        var sensor = silo.Sensor(Id);
        await sensor.ApplyAsync(new SensorReadings(Readings(Id, 0, 130)));
        var before = await sensor.GetStatusAsync();
        await sensor.AsReference<IGrainManagementExtension>().DeactivateOnIdle();
        await WaitUntilStoredAsync(silo, sensor, true, "the idle sensor wrote no state");

        // Taken back by a call that applies nothing: the live stream is the only copy.
        Assert.Equal(before.Applied, (await sensor.GetStatusAsync()).Applied);
        Assert.False(await StoredAsync(silo, sensor), "memory storage still holds the live sensor");

        // Idle again with nothing changed, it still goes back to storage, and resumes from there.
        await sensor.AsReference<IGrainManagementExtension>().DeactivateOnIdle();
        await WaitUntilStoredAsync(silo, sensor, true, "the sensor idle again wrote no state");
        var next = await sensor.ApplyAsync(new SensorReadings(Readings(Id, 130, 1)));
        var after = await sensor.GetStatusAsync();
        Assert.Equal(1, next.Applied);
        Assert.Equal(before.Applied + 1, after.Applied);
        Assert.Equal((before.ScalerMean, before.ScalerScale), (after.ScalerMean, after.ScalerScale));
    }

    private static async Task<bool> StoredAsync(TestSilo silo, ISensorGrain sensor)
    {
        var state = new GrainState<SensorState>(new SensorState());
        await silo.Services.GetRequiredKeyedService<IGrainStorage>(SensorOptions.StorageName).ReadStateAsync("sensor", sensor.GetGrainId(), state);
        return state.RecordExists;
    }

    private static async Task WaitUntilStoredAsync(TestSilo silo, ISensorGrain sensor, bool stored, string failure)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (await StoredAsync(silo, sensor) != stored)
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(50);
        }
    }

    private static SensorReading[] Readings(string id, int from, int count) =>
        [.. Enumerable.Range(from, count).Select(t => new SensorReading(id, T0.AddMinutes(t), 20 + (5 * Math.Sin(t / 6.0))))];
}
