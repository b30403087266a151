using Forecast.Abstractions;
using Forecast.Grains;
using Forecast.Host.Extensions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Storage;

namespace Forecast.Host.Tests;

/// <summary>
/// Sensor state in Redis: silos composed by <see cref="SiloExtensions.AddForecastSilo"/> with
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
        Assert.Equal((atCheckpoint.ScalerMean, atCheckpoint.ScalerScale), (stored.ScalerMean, stored.ScalerScale));

        // Restored from exactly this checkpoint, the stream carries on as the live one did.
        var restored = SensorStream.Restore(Id, new AnomalyOptions(), stored).Status();
        Assert.Equal(atCheckpoint, restored with { ModelState = atCheckpoint.ModelState });
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
            Assert.True(DateTime.UtcNow < deadline, "the checkpoint timer did not write the state within 15 s");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task ApplyAsync_RetriesAFailedCheckpointAtTheNextOne_KeepingTheStateInMemory()
    {
        const string Id = "flaky/sensor";
        var storage = new FlakyStorage { Failures = 1 };
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

    private static SensorReading[] Readings(string id, int from, int count) =>
        [.. Enumerable.Range(from, count).Select(t => new SensorReading(id, T0.AddMinutes(t), 20 + (5 * Math.Sin(t / 6.0))))];

    private async Task<Silo> StartSiloAsync(Dictionary<string, string?>? settings = null, Action<IServiceCollection>? configure = null)
    {
        var configuration = new Dictionary<string, string?>
        {
            ["Orleans:Redis"] = redis.ConnectionString,
            ["Orleans:ServiceId"] = "checkpoint-tests",
            ["Orleans:SiloPort"] = RedisFixture.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Orleans:GatewayPort"] = RedisFixture.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in settings ?? [])
        {
            configuration[key] = value;
        }

        var builder = ForecastHostBuilder.Create([], configuration);
        builder.AddForecastSilo();
        builder.AddEmbeddedStore();
        configure?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        return new Silo(host);
    }

    private sealed class Silo(IHost host) : IAsyncDisposable
    {
        public ISensorGrain Sensor(string id) => host.Services.GetRequiredService<IGrainFactory>().GetGrain<ISensorGrain>(id);

        /// <summary>The sensor's state as grain storage holds it now; null when none was written.</summary>
        public async Task<SensorState?> ReadStoredAsync(string id)
        {
            var storage = host.Services.GetRequiredKeyedService<IGrainStorage>(SensorOptions.StorageName);
            var state = new GrainState<SensorState>(new SensorState());
            await storage.ReadStateAsync("sensor", Sensor(id).GetGrainId(), state);
            return state.RecordExists ? state.State : null;
        }

        public async ValueTask DisposeAsync()
        {
            await host.StopAsync();
            host.Dispose();
        }
    }

    /// <summary>Grain storage in memory whose next <see cref="Failures"/> writes throw.</summary>
    private sealed class FlakyStorage : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
    {
        private readonly Dictionary<(string, GrainId), (object State, string ETag)> _records = [];

        public int Failures { get; set; }

        public int Failed { get; private set; }

        public int Written { get; private set; }

        public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            lock (_records)
            {
                if (_records.TryGetValue((stateName, grainId), out var record))
                {
                    (grainState.State, grainState.ETag, grainState.RecordExists) = ((T)record.State, record.ETag, true);
                }
            }

            return Task.CompletedTask;
        }

        public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            lock (_records)
            {
                if (Failures > 0)
                {
                    Failures--;
                    Failed++;
                    throw new IOException("storage unavailable (injected)");
                }

                grainState.ETag = Guid.NewGuid().ToString("N");
                grainState.RecordExists = true;
                _records[(stateName, grainId)] = (grainState.State!, grainState.ETag);
                Written++;
            }

            return Task.CompletedTask;
        }

        // Orleans hands every grain storage to the silo lifecycle; this one has nothing to start.
        public void Participate(ISiloLifecycle observer)
        {
        }

        public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            lock (_records)
            {
                _records.Remove((stateName, grainId));
            }

            return Task.CompletedTask;
        }
    }
}
