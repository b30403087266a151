using Forecast.Grains;
using Orleans.Core.Internal;
using Orleans.Runtime.Placement;
using Orleans.Storage;

namespace Forecast.Host.Tests;

/// <summary>
/// Sensor state in Redis: silos composed by <see cref="TestSilo"/> (the host's own composition) with
/// <c>Orleans:Redis</c> set, clustering and storing through a real <c>redis-server</c>.
/// </summary>
public sealed class SensorCheckpointTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task GetStatusAsync_AfterASiloRestart_EqualsTheLastCheckpoint_AndAReplayIsIgnored()
    {
        const string Id = "restart/sensor";
        var readings = Readings(Id, 0, 130);
        SensorStatus before;
        await using (var silo = await StartSiloAsync())
        {
            foreach (var batch in readings.Chunk(10))
            {
                await silo.Sensor(Id).ApplyAsync(new SensorReadings(batch));
            }

            before = await silo.Sensor(Id).GetStatusAsync();
            Assert.True(before.WarmedUp);
        }

        // A fresh silo on other ports: the state can only have come back from Redis.
        await using (var silo = await StartSiloAsync())
        {
            var sensor = silo.Sensor(Id);
            var after = await sensor.GetStatusAsync();
            Assert.Equal(before.ModelState, after.ModelState);
            Assert.Equal(
                (before.Model, before.ScalerMean, before.ScalerScale, before.LastApplied, before.Applied),
                (after.Model, after.ScalerMean, after.ScalerScale, after.LastApplied, after.Applied));

            // Nothing is applied twice: the newest replayed reading is a duplicate, the older ones out of order.
            var replay = await sensor.ApplyAsync(new SensorReadings([.. readings.Skip(100)]));
            Assert.Equal(new ApplyResult(0, 1, 29, 0, 0), replay);
            var next = await sensor.ApplyAsync(new SensorReadings(Readings(Id, 130, 1)));
            Assert.Equal(1, next.Applied);
            Assert.Equal(131, (await sensor.GetStatusAsync()).Applied);
        }
    }

    [Fact]
    public async Task ApplyAsync_WritesACheckpointEveryCheckpointReadings_WithoutDeactivation()
    {
        const string Id = "checkpoint/sensor";
        await using var silo = await StartSiloAsync(new() { ["Sensors:CheckpointReadings"] = "50", ["Sensors:CheckpointInterval"] = "01:00:00" });
        var sensor = silo.Sensor(Id);
        await sensor.ApplyAsync(new SensorReadings(Readings(Id, 0, 50)));
        var atCheckpoint = await sensor.GetStatusAsync();
        await sensor.ApplyAsync(new SensorReadings(Readings(Id, 50, 20)));

        var stored = await silo.ReadStoredAsync(Id) ?? throw new InvalidOperationException($"no stored state for {Id}");
        Assert.Equal(atCheckpoint.LastApplied, stored.LastApplied);
        Assert.Equal(atCheckpoint.ModelState, stored.ModelState);
        Assert.Equal((atCheckpoint.ScalerMean, atCheckpoint.ScalerScale), (stored.Scaler!.Mean, stored.Scaler.Scale));

        // Restored from exactly this checkpoint, the stream carries on as the live one did.
        var restored = SensorStream.Restore(Id, new AnomalyOptions(), stored).Status();
        Assert.Equal(atCheckpoint, restored with { ModelState = atCheckpoint.ModelState, Silo = atCheckpoint.Silo });
        Assert.Equal(atCheckpoint.ModelState, restored.ModelState);
    }

    [Fact]
    public async Task ApplyAsync_WritesChangedStateWithinCheckpointInterval()
    {
        const string Id = "interval/sensor";
        await using var silo = await StartSiloAsync(new() { ["Sensors:CheckpointReadings"] = "100000", ["Sensors:CheckpointInterval"] = "00:00:01" });
        await silo.Sensor(Id).ApplyAsync(new SensorReadings(Readings(Id, 0, 10)));

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while ((await silo.ReadStoredAsync(Id))?.LastApplied != T0.AddMinutes(9))
        {
            Assert.True(DateTime.UtcNow < deadline, "the checkpoint clock did not write the state within 15 s");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task A_checkpoint_that_failed_is_written_an_interval_later_without_further_readings()
    {
        const string Id = "flaky/quiet";
        var storage = new TestGrainStorage { Failures = 1 };
        await using var silo = await StartSiloAsync(
            new() { ["Sensors:CheckpointReadings"] = "100000", ["Sensors:CheckpointInterval"] = "00:00:01" },
            services => services.AddKeyedSingleton<IGrainStorage>(SensorOptions.StorageName, storage));
        await silo.Sensor(Id).ApplyAsync(new SensorReadings(Readings(Id, 0, 10)));

        await TestSilo.WaitUntilAsync(() => storage.Written == 1, TimeSpan.FromSeconds(15), () => $"written {storage.Written}, failed {storage.Failed}");
        Assert.Equal(1, storage.Failed);
        Assert.Equal(T0.AddMinutes(9), (await silo.ReadStoredAsync(Id))?.LastApplied);
    }

    [Fact]
    public async Task The_checkpoint_clock_leaves_a_sensor_collected_before_its_checkpoint_came_due_collected()
    {
        const string Id = "collected/early";
        await using var silo = await StartSiloAsync(new() { ["Sensors:CheckpointReadings"] = "100000", ["Sensors:CheckpointInterval"] = "00:00:02" });
        var sensor = silo.Sensor(Id);
        var management = silo.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
        await sensor.ApplyAsync(new SensorReadings(Readings(Id, 0, 10)));
        Assert.Contains(sensor.GetGrainId(), await management.GetActiveGrains(sensor.GetGrainId().Type));

        await sensor.AsReference<IGrainManagementExtension>().DeactivateOnIdle();
        var clock = silo.Services.GetRequiredService<CheckpointClock>();
        await TestSilo.WaitUntilAsync(() => clock.Waiting == 0, TimeSpan.FromSeconds(15), () => $"{clock.Waiting} sensors still wait for the clock");
        await Task.Delay(TimeSpan.FromSeconds(1));

        // Written when it was deactivated, and not activated again by a call from the clock.
        Assert.Equal(T0.AddMinutes(9), (await silo.ReadStoredAsync(Id))?.LastApplied);
        Assert.DoesNotContain(sensor.GetGrainId(), await management.GetActiveGrains(sensor.GetGrainId().Type));
    }

    [Fact]
    public async Task ApplyAsync_RetriesAFailedCheckpointAtTheNextOne_KeepingTheStateInMemory()
    {
        const string Id = "flaky/sensor";
        var storage = new TestGrainStorage { Failures = 1 };
        await using var silo = await StartSiloAsync(
            new() { ["Sensors:CheckpointReadings"] = "10", ["Sensors:CheckpointInterval"] = "01:00:00" },
            services => services.AddKeyedSingleton<IGrainStorage>(SensorOptions.StorageName, storage));
        var sensor = silo.Sensor(Id);

        var first = await sensor.ApplyAsync(new SensorReadings(Readings(Id, 0, 10)));
        Assert.Equal(10, first.Applied);
        Assert.Equal((1, 0), (storage.Failed, storage.Written));

        await sensor.ApplyAsync(new SensorReadings(Readings(Id, 10, 10)));
        var status = await sensor.GetStatusAsync();
        Assert.Equal(20, status.Applied);
        Assert.Equal(1, storage.Written);
        var stored = await silo.ReadStoredAsync(Id);
        Assert.Equal((status.LastApplied, status.Applied), (stored?.LastApplied, stored?.Applied));
        Assert.Equal(status.ModelState, stored?.ModelState);
    }

    [Fact]
    public async Task Checkpoint_LosingAnETagConflict_DropsTheActivation_AndTheNextCallResumesFromTheWinner()
    {
        const string Id = "conflict/sensor";
        await using var silo = await StartSiloAsync(new() { ["Sensors:CheckpointReadings"] = "10", ["Sensors:CheckpointInterval"] = "01:00:00" });
        var sensor = silo.Sensor(Id);
        await sensor.ApplyAsync(new SensorReadings(Readings(Id, 0, 60)));

        // A second activation of the same sensor (as while membership changes) applies readings 60..89
        // and writes first, over the ETag the live activation also holds.
        var stored = await silo.ReadStoredAsync(Id) ?? throw new InvalidOperationException("no checkpoint was written");
        var other = SensorStream.Restore(Id, new AnomalyOptions(), stored);
        await other.ApplyAsync(Readings(Id, 60, 30), silo.Services.GetRequiredService<IForecaster>());
        await silo.WriteStoredAsync(Id, other.Export());

        // The live activation's next checkpoint loses; its call still succeeds (its predictions are stored).
        var losing = await sensor.ApplyAsync(new SensorReadings(Readings(Id, 60, 60)));
        Assert.Equal(60, losing.Applied);

        // The next call reaches a fresh activation holding the winner's state, not the loser's.
        var resumed = await sensor.GetStatusAsync();
        Assert.Equal(other.Status() with { Silo = resumed.Silo, ModelState = resumed.ModelState }, resumed);
        Assert.Equal(other.Status().ModelState, resumed.ModelState);
        var replay = await sensor.ApplyAsync(new SensorReadings(Readings(Id, 80, 10)));
        Assert.Equal(0, replay.Applied);
    }

    [Fact]
    public async Task ApplyAsync_WithAnotherSiloAsPlacementHint_MigratesTheSensorThere_WithItsLiveState()
    {
        const string Id = "migrating/sensor";
        var cluster = new Dictionary<string, string?> { ["Orleans:ClusterId"] = "migration-" + Guid.NewGuid().ToString("N"), ["Sensors:CheckpointReadings"] = "10", ["Sensors:CheckpointInterval"] = "01:00:00" };
        await using var first = await StartSiloAsync(cluster);
        await using var second = await StartSiloAsync(cluster);

        RequestContext.Set(IPlacementDirector.PlacementHintKey, first.Address);
        await first.Sensor(Id).ApplyAsync(new SensorReadings(Readings(Id, 0, 70)));
        var before = await first.Sensor(Id).GetStatusAsync();
        Assert.Equal(first.Address.ToString(), before.Silo);

        // The caller on the second silo names itself: once idle, the activation moves there.
        RequestContext.Set(IPlacementDirector.PlacementHintKey, second.Address);
        var moved = await second.Sensor(Id).ApplyAsync(new SensorReadings(Readings(Id, 70, 1)));
        RequestContext.Clear();
        Assert.Equal(1, moved.Applied);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        SensorStatus after;
        while ((after = await first.Sensor(Id).GetStatusAsync()).Silo != second.Address.ToString())
        {
            Assert.True(DateTime.UtcNow < deadline, $"the sensor is still on {after.Silo}, not {second.Address}");
            await Task.Delay(100);
        }

        // The state travelled with the activation, and storage holds it too (should the move have failed).
        var stored = await first.ReadStoredAsync(Id);
        Assert.Equal((after.LastApplied, after.Applied), (stored?.LastApplied, stored?.Applied));
        Assert.Equal(71, after.Applied);
        Assert.Equal(before.LastApplied!.Value.AddMinutes(1), after.LastApplied);
        Assert.Equal((before.ScalerMean, before.ScalerScale), (after.ScalerMean, after.ScalerScale));
        Assert.Equal(0, (await second.Sensor(Id).ApplyAsync(new SensorReadings(Readings(Id, 60, 11)))).Applied);

        // The moved activation carries the ETag on: its own checkpoints do not conflict with the one before the move.
        await second.Sensor(Id).ApplyAsync(new SensorReadings(Readings(Id, 71, 10)));
        Assert.Equal(81, (await first.ReadStoredAsync(Id))?.Applied);
        Assert.Equal(second.Address.ToString(), (await first.Sensor(Id).GetStatusAsync()).Silo);
    }

    private static SensorReading[] Readings(string id, int from, int count) =>
        [.. Enumerable.Range(from, count).Select(t => new SensorReading(id, T0.AddMinutes(t), 20 + (5 * Math.Sin(t / 6.0))))];

    private async Task<Silo> StartSiloAsync(Dictionary<string, string?>? settings = null, Action<IServiceCollection>? configure = null)
    {
        var configuration = new Dictionary<string, string?>
        {
            ["Orleans:Redis"] = redis.ConnectionString,
            ["Orleans:ServiceId"] = "checkpoint-tests",
        };
        foreach (var (key, value) in settings ?? [])
        {
            configuration[key] = value;
        }

        return new Silo(await TestSilo.StartAsync(configuration, builder => configure?.Invoke(builder.Services)));
    }

    private sealed class Silo(TestSilo silo) : IAsyncDisposable
    {
        public ISensorGrain Sensor(string id) => silo.Sensor(id);

        public IServiceProvider Services => silo.Services;

        public SiloAddress Address => silo.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;

        /// <summary>Writes a sensor's state as another activation would: over the ETag stored now.</summary>
        public async Task WriteStoredAsync(string id, SensorState value)
        {
            var storage = silo.Services.GetRequiredKeyedService<IGrainStorage>(SensorOptions.StorageName);
            var state = new GrainState<SensorState>(new SensorState());
            await storage.ReadStateAsync("sensor", Sensor(id).GetGrainId(), state);
            state.State = value;
            await storage.WriteStateAsync("sensor", Sensor(id).GetGrainId(), state);
        }

        /// <summary>The sensor's state as grain storage holds it now; null when none was written.</summary>
        public async Task<SensorState?> ReadStoredAsync(string id)
        {
            var storage = silo.Services.GetRequiredKeyedService<IGrainStorage>(SensorOptions.StorageName);
            var state = new GrainState<SensorState>(new SensorState());
            await storage.ReadStateAsync("sensor", Sensor(id).GetGrainId(), state);
            return state.RecordExists ? state.State : null;
        }

        public ValueTask DisposeAsync() => silo.DisposeAsync();
    }
}
