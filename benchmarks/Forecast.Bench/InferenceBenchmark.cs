using System.Diagnostics;
using System.Text.Json;
using Forecast.Host.Hosting;
using Forecast.Inference.Onnx;
using Microsoft.Extensions.Logging.Abstractions;

namespace Forecast.Bench;

/// <summary>
/// <c>bench inference</c>: ONNX stateful steps per second (a) one call per step and in full calls of the
/// largest batch, (b) through the batching dispatcher with 10,000 sensors stepping concurrently, (c)
/// recomputing a 32-step window per reading, one at a time and batched; against the limit the same
/// ONNX Runtime reaches on the step's gate product alone (<see cref="Yardstick"/>).
/// </summary>
internal static class InferenceBenchmark
{
    private const int Sensors = 10_000;
    private const int Window = 32;

    public static async Task<int> RunAsync(string[] args)
    {
        var configuration = ForecastHostBuilder.Create(args).Configuration;
        var options = configuration.GetSection(OnnxInferenceOptions.SectionName).Get<OnnxInferenceOptions>() ?? new();
        var seconds = TimeSpan.FromSeconds(configuration.GetValue("Bench:Seconds", 5.0));
        using var model = OnnxModel.Load(options.ModelDirectory, options);
        var d = model.Descriptor;
        Console.Error.WriteLine($"bench inference: model {d.Id}, hidden {d.Hidden}, {options.IntraOpThreads} intra-op thread(s), max batch {options.MaxBatch}, {seconds.TotalSeconds:N0} s per case");

        var limit = Yardstick.RowsPerSecond(d, options, seconds);
        Console.Error.WriteLine($"  limit: the gate product alone, {options.MaxBatch} rows of hidden {d.Hidden}, {d.Features} feature(s), {d.Layers} layer(s): {limit,12:N0} rows/s");
        var single = RunSingle(model, 1, seconds);
        Console.Error.WriteLine($"  (a) one call per step:           {single,12:N0} steps/s");
        var raw = RunFullBatches(model, options.MaxBatch, seconds);
        Console.Error.WriteLine($"  (a) calls of {options.MaxBatch} steps, no queue: {raw,12:N0} steps/s ({raw / single:N1}x one call per step, {raw / limit:P0} of the limit)");
        var (batched, averageBatch) = await RunBatchedAsync(model, options, 1, seconds);
        Console.Error.WriteLine($"  (b) dispatcher, {Sensors:N0} sensors:  {batched,12:N0} steps/s (average batch {averageBatch:N1}; {batched / single:N1}x one call per step, {batched / limit:P0} of the limit)");
        var windowSingle = RunSingle(model, Window, seconds);
        Console.Error.WriteLine($"  (c) {Window}-step window, one by one:  {windowSingle,12:N0} readings/s");
        var (windowBatched, _) = await RunBatchedAsync(model, options, Window, seconds);
        Console.Error.WriteLine($"  (c) {Window}-step window, batched:     {windowBatched,12:N0} readings/s");

        Console.WriteLine(JsonSerializer.Serialize(new
        {
            model = d.Id,
            sensors = Sensors,
            maxBatch = options.MaxBatch,
            limitRowsPerSecond = Math.Round(limit),
            singleStepsPerSecond = Math.Round(single),
            fullBatchStepsPerSecond = Math.Round(raw),
            fullBatchShareOfLimit = Math.Round(raw / limit, 3),
            batchedStepsPerSecond = Math.Round(batched),
            batchedAverageBatch = Math.Round(averageBatch, 1),
            batchedSpeedup = Math.Round(batched / single, 1),
            batchedShareOfLimit = Math.Round(batched / limit, 3),
            windowSinglePerSecond = Math.Round(windowSingle),
            windowBatchedPerSecond = Math.Round(windowBatched),
            processors = Environment.ProcessorCount,
        }));
        return 0;
    }

    /// <summary>One model call per sensor step (<paramref name="time"/> inputs each), back to back.</summary>
    private static double RunSingle(OnnxModel model, int time, TimeSpan duration)
    {
        using var runner = new StepRunner(model, 1, time);
        var state = new float[model.Descriptor.StateSize];
        var forecast = new float[model.Descriptor.Horizon];
        var random = new Random(1);
        long steps = 0;
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < duration)
        {
            runner.Prepare(1, time);
            foreach (ref var x in runner.Inputs(0))
            {
                x = (float)random.NextDouble();
            }

            if (time > 1)
            {
                // A window model starts from scratch every reading.
                Array.Clear(state);
            }

            runner.SetState(0, state);
            runner.Run();
            runner.CopyOutputs(0, state, forecast);
            steps++;
        }

        return steps / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    /// <summary>Full calls of <paramref name="rows"/> steps back to back on this thread: the worker's own work, without the queue.</summary>
    private static double RunFullBatches(OnnxModel model, int rows, TimeSpan duration)
    {
        using var runner = new StepRunner(model, rows, 1);
        var state = new float[model.Descriptor.StateSize];
        var forecast = new float[model.Descriptor.Horizon];
        long steps = 0;
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < duration)
        {
            runner.Prepare(rows, 1);
            for (var row = 0; row < rows; row++)
            {
                runner.Inputs(row)[0] = row / (float)rows;
                runner.SetState(row, state);
            }

            runner.Run();
            for (var row = 0; row < rows; row++)
            {
                runner.CopyOutputs(row, state, forecast);
            }

            steps += rows;
        }

        return steps / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    /// <summary>Every sensor steps in its own loop through the dispatcher, as sensor grains do.</summary>
    private static async Task<(double StepsPerSecond, double AverageBatch)> RunBatchedAsync(
        OnnxModel model, OnnxInferenceOptions options, int time, TimeSpan duration)
    {
        await using var forecaster = new BatchingForecaster(model, options, NullLogger<BatchingForecaster>.Instance);
        using var stop = new CancellationTokenSource();
        var before = forecaster.Statistics;
        var started = Stopwatch.GetTimestamp();
        var loops = Enumerable.Range(0, Sensors).Select(async sensor =>
        {
            var inputs = new float[time];
            var state = new float[model.Descriptor.StateSize];
            var forecast = new float[model.Descriptor.Horizon];
            inputs.AsSpan().Fill((sensor % 100) / 100f);
            await Task.Yield();
            while (!stop.IsCancellationRequested)
            {
                if (time > 1)
                {
                    Array.Clear(state);
                }

                await forecaster.StepAsync(inputs, state, forecast);
            }
        }).ToArray();

        await Task.Delay(duration);
        var after = forecaster.Statistics;
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        await stop.CancelAsync();
        await Task.WhenAll(loops);
        var steps = after.Steps - before.Steps;
        return (steps / elapsed, (double)steps / Math.Max(1, after.Batches - before.Batches));
    }
}
