using System.Text.Json;
using Forecast.Abstractions;
using Forecast.Diagnostics;
using Forecast.Host.Hosting;
using Forecast.Host.Simulation;
using Forecast.Inference.Onnx;
using Forecast.Sinks.Embedded;
using Orleans.Runtime.Placement;

namespace Forecast.Bench;

/// <summary>
/// <c>forecast bench placement</c>: what keeping a sensor on the silo that receives its readings saves.
/// Two silos in this process cluster through Redis (<c>Orleans:Redis</c>); one caller on the first silo
/// drives two sets of sensors, one placed on its own silo and one on the other, and each set is measured
/// at full speed and at the same paced rate. Both silos share this machine's cores.
/// </summary>
internal static class PlacementBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var cluster = "bench-placement-" + Guid.NewGuid().ToString("N");
        var caller = await StartSiloAsync(args, cluster);
        var other = await StartSiloAsync(args, cluster);
        var configuration = caller.Services.GetRequiredService<IConfiguration>();
        var simulator = configuration.GetSection(SimulatorOptions.SectionName).Get<SimulatorOptions>() ?? new();
        var seconds = configuration.GetValue("Bench:Seconds", 10.0);
        var perCall = configuration.GetValue("Bench:ReadingsPerCall", 4);
        var metrics = caller.Services.GetRequiredService<PipelineMetrics>();
        var driver = new ReadingDriver(caller.Services.GetRequiredService<IGrainFactory>(), metrics, simulator.MaxInFlight);
        Console.Error.WriteLine($"bench placement: {simulator.Sensors:N0} sensors per set, {perCall} readings per call, two silos through Redis");

        var local = await SensorSet.WarmUpAsync("local", caller, caller, driver, simulator, perCall);
        var remote = await SensorSet.WarmUpAsync("remote", other, caller, driver, simulator, perCall);
        var duration = TimeSpan.FromSeconds(seconds);
        var localFull = await local.MeasureAsync(driver, metrics, perCall, duration, rate: null);
        var remoteFull = await remote.MeasureAsync(driver, metrics, perCall, duration, rate: null);
        var rate = Math.Min(localFull.ReadingsPerSecond, remoteFull.ReadingsPerSecond) / 2;
        var localPaced = await local.MeasureAsync(driver, metrics, perCall, duration, rate);
        var remotePaced = await remote.MeasureAsync(driver, metrics, perCall, duration, rate);

        await other.StopAsync();
        await caller.StopAsync();
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            sensorsPerSet = simulator.Sensors,
            readingsPerCall = perCall,
            local = Summary(local, localFull, localPaced),
            remote = Summary(remote, remoteFull, remotePaced),
            remoteThroughputRatio = Math.Round(remoteFull.ReadingsPerSecond / localFull.ReadingsPerSecond, 2),
            failedCalls = metrics.FailedCalls,
            processors = Environment.ProcessorCount,
        }));
        return metrics.FailedCalls == 0 ? 0 : 1;
    }

    private static object Summary(SensorSet set, PipelineBenchmark.Phase full, PipelineBenchmark.Phase paced) => new
    {
        sampledOnIntendedSilo = set.OnIntendedSilo,
        readingsPerSecond = Math.Round(full.ReadingsPerSecond),
        p50LatencyMs = Math.Round(full.P50Ms, 2),
        p99LatencyMs = Math.Round(full.P99Ms, 2),
        paced = new { readingsPerSecond = Math.Round(paced.ReadingsPerSecond), p50LatencyMs = Math.Round(paced.P50Ms, 2), p99LatencyMs = Math.Round(paced.P99Ms, 2) },
    };

    /// <summary>Sensors placed on one silo (by placement hint) and driven from the caller's silo.</summary>
    private sealed class SensorSet(string name, SimulatedSensor[] sensors, SiloAddress silo, BatchingForecaster forecaster)
    {
        private long _tick;

        /// <summary>Of 100 sampled sensors, how many the placement put on the intended silo.</summary>
        public int OnIntendedSilo { get; private set; }

        public static async Task<SensorSet> WarmUpAsync(
            string name, IHost host, IHost caller, ReadingDriver driver, SimulatorOptions simulator, int perCall)
        {
            var silo = host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
            var sensors = Enumerable.Range(0, simulator.Sensors)
                .Select(i => new SimulatedSensor($"{name}/{SimulatorOptions.SensorId(i)}", HashCode.Combine(simulator.Seed, i), 0))
                .ToArray();
            var set = new SensorSet(name, sensors, silo, host.Services.GetRequiredService<BatchingForecaster>());
            RequestContext.Set(IPlacementDirector.PlacementHintKey, silo);
            while (set._tick < set.Forecaster.Model.Warmup + 16)
            {
                set._tick = await PipelineBenchmark.SendTicksAsync(driver, sensors, set._tick, perCall * 4);
            }

            await driver.DrainAsync();
            RequestContext.Clear();
            var grains = caller.Services.GetRequiredService<IGrainFactory>();
            var sample = await Task.WhenAll(sensors.Take(100).Select(s => grains.GetGrain<ISensorGrain>(s.Id).GetStatusAsync()));
            set.OnIntendedSilo = sample.Count(s => s.Silo == silo.ToString());
            Console.Error.WriteLine($"  {name}: warmed up; {set.OnIntendedSilo} of 100 sampled sensors on silo {silo}");
            return set;
        }

        private BatchingForecaster Forecaster => forecaster;

        /// <summary>Full speed when <paramref name="rate"/> is null, else paced at that many readings/s.</summary>
        public async Task<PipelineBenchmark.Phase> MeasureAsync(
            ReadingDriver driver, PipelineMetrics metrics, int perCall, TimeSpan duration, double? rate)
        {
            // The hint keeps new activations where they are; the sensors are all active already.
            RequestContext.Set(IPlacementDirector.PlacementHintKey, silo);
            var phase = rate is { } paced
                ? await PipelineBenchmark.MeasurePacedAsync(driver, metrics, forecaster, sensors, perCall, duration, paced, _tick)
                : await PipelineBenchmark.MeasureFullSpeedAsync(driver, metrics, forecaster, sensors, perCall, duration, _tick);
            RequestContext.Clear();
            _tick = phase.NextTick;
            Console.Error.WriteLine($"  {name} {(rate is null ? "full speed" : "paced")}: {phase.ReadingsPerSecond:N0} readings/s, p50 {phase.P50Ms:N1} ms, p99 {phase.P99Ms:N1} ms");
            return phase;
        }
    }

    private static async Task<IHost> StartSiloAsync(string[] args, string cluster)
    {
        var builder = ForecastHostBuilder.Create(args, new Dictionary<string, string?>
        {
            ["Simulator:Sensors"] = "2000",
            ["Orleans:ClusterId"] = cluster,
            ["Orleans:SiloPort"] = FreePort(),
            ["Orleans:GatewayPort"] = FreePort(),
        });
        if (string.IsNullOrWhiteSpace(builder.Configuration["Orleans:Redis"]))
        {
            throw new ArgumentException("bench placement needs Orleans:Redis (for example --Orleans:Redis 127.0.0.1:6379): the two silos cluster through it.");
        }

        builder.AddForecastSilo();
        builder.AddEmbeddedStore();
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static string FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
