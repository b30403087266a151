using System.Diagnostics;
using System.Text.Json;
using Forecast.Abstractions;
using Forecast.Diagnostics;
using Forecast.Grains;
using Forecast.Sinks.Embedded;
using Forecast.Host.Hosting;
using Forecast.Host.Simulation;
using Forecast.Inference.Onnx;

namespace Forecast.Bench;

/// <summary>
/// <c>forecast bench pipeline</c>: the embedded pipeline (silo, sensor grains, batched ONNX inference,
/// embedded store) at 10,000 sensors. Measures managed memory per warmed-up sensor, the most readings/s
/// it sustains, and reading-to-durable-prediction latency at full speed and at half that rate.
/// </summary>
internal static class PipelineBenchmark
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static async Task<int> RunAsync(string[] args)
    {
        var builder = ForecastHostBuilder.Create(args, new Dictionary<string, string?> { ["Simulator:Sensors"] = "10000" });
        builder.AddForecastSilo();
        builder.AddEmbeddedStore();
        var simulator = builder.Configuration.GetSection(SimulatorOptions.SectionName).Get<SimulatorOptions>() ?? new();
        var seconds = builder.Configuration.GetValue("Bench:Seconds", 20.0);
        var perCall = builder.Configuration.GetValue("Bench:ReadingsPerCall", 4);
        if (simulator.Sensors < 1 || seconds <= 0 || perCall < 1)
        {
            throw new ArgumentException("--sensors, --Bench:Seconds and --readings-per-call must be positive.");
        }

        using var host = builder.Build();
        await host.StartAsync();
        var services = host.Services;
        var metrics = services.GetRequiredService<PipelineMetrics>();
        var store = services.GetRequiredService<EmbeddedStore>();
        var forecaster = services.GetRequiredService<BatchingForecaster>();
        var driver = new ReadingDriver(services.GetRequiredService<IGrainFactory>(), metrics, simulator.MaxInFlight);
        var sensors = simulator.CreateSensors();
        Console.Error.WriteLine($"bench pipeline: {sensors.Length:N0} sensors, {perCall} readings per grain call, {simulator.MaxInFlight} calls in flight, model {forecaster.Model.Id}");

        var baseline = ManagedBytes();
        long tick = 0;
        var warmupTicks = forecaster.Model.Warmup + 16;
        while (tick < warmupTicks)
        {
            tick = await SendTicksAsync(driver, sensors, tick, Math.Min(perCall * 4, warmupTicks - (int)tick));
        }

        await driver.DrainAsync();
        var perSensor = (ManagedBytes() - baseline) / (double)sensors.Length;
        Console.Error.WriteLine($"  warmed up {store.Sensors:N0} sensors; managed memory {perSensor:N0} bytes per sensor");

        var full = await MeasureFullSpeedAsync(driver, metrics, forecaster, sensors, perCall, TimeSpan.FromSeconds(seconds), tick);
        Console.Error.WriteLine($"  full speed: {full.ReadingsPerSecond:N0} readings/s, p50 {full.P50Ms:N1} ms, p99 {full.P99Ms:N1} ms, batch {full.AverageBatch:N1}");
        var half = await MeasurePacedAsync(driver, metrics, forecaster, sensors, perCall, TimeSpan.FromSeconds(seconds / 2), full.ReadingsPerSecond / 2, full.NextTick);
        Console.Error.WriteLine($"  half rate:  {half.ReadingsPerSecond:N0} readings/s, p50 {half.P50Ms:N1} ms, p99 {half.P99Ms:N1} ms, batch {half.AverageBatch:N1}");

        // Again after the measured phases: state that grows with traffic (stores, checkpoints) shows here.
        var perSensorAfter = (ManagedBytes() - baseline) / (double)sensors.Length;
        Console.Error.WriteLine($"  after the run: managed memory {perSensorAfter:N0} bytes per sensor");
        // The collector takes sensors idle for its age (15 minutes by default), long after their last
        // checkpoint came due: so here too, rather than racing the checkpoints of sensors just active.
        var checkpoints = services.GetRequiredService<IOptions<SensorOptions>>().Value;
        if (checkpoints.DurableStorage)
        {
            Console.Error.WriteLine($"  idle: waiting one checkpoint interval ({checkpoints.CheckpointInterval.TotalSeconds:N0} s) after the last readings, as the collector's age would");
            await Task.Delay(checkpoints.CheckpointInterval + TimeSpan.FromSeconds(1));
        }

        var idle = await IdleSensors.DeactivateAndResumeAsync(services.GetRequiredService<IGrainFactory>(), driver, sensors, half.NextTick, ManagedBytes, baseline);
        Console.Error.WriteLine(
            $"  reactivated: {idle.ReactivatedPerSecond:N0} sensors/s, {idle.Resumed:N0} of {idle.Sampled:N0} sampled resumed from their state; managed memory {idle.ReactivatedBytesPerSensor:N0} bytes per sensor");
        await host.StopAsync();
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            sensors = sensors.Length,
            readingsPerCall = perCall,
            readingsPerSecond = Math.Round(full.ReadingsPerSecond),
            p50LatencyMs = Math.Round(full.P50Ms, 2),
            p99LatencyMs = Math.Round(full.P99Ms, 2),
            halfRate = new
            {
                readingsPerSecond = Math.Round(half.ReadingsPerSecond),
                p50LatencyMs = Math.Round(half.P50Ms, 2),
                p99LatencyMs = Math.Round(half.P99Ms, 2),
            },
            memoryPerSensorBytes = Math.Round(perSensor),
            memoryPerSensorAfterRunBytes = Math.Round(perSensorAfter),
            averageBatch = Math.Round(full.AverageBatch, 1),
            predictions = store.Predictions,
            rewrites = store.Rewrites,
            idle = new
            {
                deactivated = idle.Deactivated,
                memoryPerSensorBytes = Math.Round(idle.BytesPerSensor),
                reactivatedPerSecond = Math.Round(idle.ReactivatedPerSecond),
                reactivatedMemoryPerSensorBytes = Math.Round(idle.ReactivatedBytesPerSensor),
                sampled = idle.Sampled,
                resumed = idle.Resumed,
            },
            failedCalls = metrics.FailedCalls,
            processors = Environment.ProcessorCount,
        }));
        // The idle phase proves something only when every sensor did go idle before resuming.
        return metrics.FailedCalls == 0 && idle.Deactivated >= sensors.Length && idle.Resumed == idle.Sampled ? 0 : 1;
    }

    internal sealed record Phase(double ReadingsPerSecond, double P50Ms, double P99Ms, double AverageBatch, long NextTick);

    /// <summary>Sends tick groups for <paramref name="duration"/> as fast as the pipeline takes them.</summary>
    internal static async Task<Phase> MeasureFullSpeedAsync(
        ReadingDriver driver, PipelineMetrics metrics, BatchingForecaster forecaster, SimulatedSensor[] sensors,
        int perCall, TimeSpan duration, long tick)
    {
        var before = Snapshot.Take(metrics, forecaster);
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < duration)
        {
            tick = await SendTicksAsync(driver, sensors, tick, perCall);
        }

        await driver.DrainAsync();
        return before.PhaseSince(metrics, forecaster, Stopwatch.GetElapsedTime(started), tick);
    }

    /// <summary>
    /// Sends calls evenly spread in time at <paramref name="rate"/> readings/s, sensor after sensor, as
    /// traffic arrives in production. Latency counts from each call's due time, so falling behind shows.
    /// </summary>
    internal static async Task<Phase> MeasurePacedAsync(
        ReadingDriver driver, PipelineMetrics metrics, BatchingForecaster forecaster, SimulatedSensor[] sensors,
        int perCall, TimeSpan duration, double rate, long tick)
    {
        var before = Snapshot.Take(metrics, forecaster);
        var callsPerSecond = rate / perCall;
        var started = Stopwatch.GetTimestamp();
        for (long call = 0; ; call++)
        {
            var due = TimeSpan.FromSeconds(call / callsPerSecond);
            if (due >= duration)
            {
                break;
            }

            var wait = due - Stopwatch.GetElapsedTime(started);
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait);
            }

            var sensor = sensors[call % sensors.Length];
            if (call > 0 && call % sensors.Length == 0)
            {
                tick += perCall;
            }

            var dueTimestamp = started + (long)(due.TotalSeconds * Stopwatch.Frequency);
            await driver.SendAsync(sensor.Id, MakeReadings(sensor, tick, perCall), dueTimestamp, CancellationToken.None);
        }

        await driver.DrainAsync();
        return before.PhaseSince(metrics, forecaster, Stopwatch.GetElapsedTime(started), tick + perCall);
    }

    /// <summary>Generates <paramref name="ticks"/> consecutive readings per sensor and sends each sensor's in one call.</summary>
    internal static async Task<long> SendTicksAsync(ReadingDriver driver, SimulatedSensor[] sensors, long tick, int ticks)
    {
        var madeAt = Stopwatch.GetTimestamp();
        foreach (var sensor in sensors)
        {
            await driver.SendAsync(sensor.Id, MakeReadings(sensor, tick, ticks), madeAt, CancellationToken.None);
        }

        return tick + ticks;
    }

    private static SensorReading[] MakeReadings(SimulatedSensor sensor, long tick, int count)
    {
        var readings = new SensorReading[count];
        for (var i = 0; i < count; i++)
        {
            var t = tick + i;
            readings[i] = new SensorReading(sensor.Id, Epoch.AddMinutes(t), sensor.Next(t));
        }

        return readings;
    }

    /// <summary>Counters at the start of a phase.</summary>
    private sealed record Snapshot(long Applied, InferenceStatistics Inference)
    {
        public static Snapshot Take(PipelineMetrics metrics, BatchingForecaster forecaster)
        {
            metrics.Latency.Reset();
            return new Snapshot(metrics.Applied, forecaster.Statistics);
        }

        public Phase PhaseSince(PipelineMetrics metrics, BatchingForecaster forecaster, TimeSpan elapsed, long nextTick)
        {
            var stats = forecaster.Statistics;
            return new Phase(
                (metrics.Applied - Applied) / elapsed.TotalSeconds,
                metrics.Latency.PercentileMs(0.5),
                metrics.Latency.PercentileMs(0.99),
                (double)(stats.Steps - Inference.Steps) / Math.Max(1, stats.Batches - Inference.Batches),
                nextTick);
        }
    }

    internal static long ManagedBytes()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
