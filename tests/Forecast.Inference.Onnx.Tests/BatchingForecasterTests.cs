using Microsoft.Extensions.Logging.Abstractions;

namespace Forecast.Inference.Onnx.Tests;

public sealed class BatchingForecasterTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly OnnxModel _model = BundledModel.Load();

    [Fact]
    public async Task StepAsync_GivesEachCallerTheSameResultAsOneCallPerStep()
    {
        await using var forecaster = Create(maxBatch: 64);
        var sensors = Enumerable.Range(0, 300).Select(i => new Sensor(_model, seed: i, time: 1)).ToArray();

        await Task.WhenAll(sensors.Select(s => forecaster.StepAsync(s.Inputs, s.State, s.Forecast).AsTask())).WaitAsync(Patience);

        Assert.All(sensors, s => s.AssertMatchesOneCallPerStep(_model));
        var stats = forecaster.Statistics;
        Assert.Equal(300, stats.Steps);
        Assert.InRange(stats.Batches, 5, 299); // coalesced, and never over 64 rows
        Assert.Equal(0, stats.Pending);
    }

    [Fact]
    public async Task StepAsync_RunsWarmupSequencesAndLiveStepsTogether()
    {
        await using var forecaster = Create(maxBatch: 256);
        var sensors = Enumerable.Range(0, 120).Select(i => new Sensor(_model, seed: i, time: i % 3 == 0 ? 48 : 1)).ToArray();

        await Task.WhenAll(sensors.Select(s => forecaster.StepAsync(s.Inputs, s.State, s.Forecast).AsTask())).WaitAsync(Patience);

        Assert.All(sensors, s => s.AssertMatchesOneCallPerStep(_model));
    }

    [Fact]
    public async Task StepAsync_FailsEveryCaller_WhenTheModelCallFails()
    {
        // Its manifest says hidden 16 and the graph has 64, so ONNX Runtime rejects every call.
        var folder = BundledModel.CopyToTemp();
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "manifest.json")))!;
        manifest["hidden"] = 16;
        File.WriteAllText(Path.Combine(folder, "manifest.json"), manifest.ToJsonString());
        using var broken = OnnxModel.Open(folder, BundledModel.Options());
        await using var forecaster = new BatchingForecaster(broken, BundledModel.Options(), NullLogger<BatchingForecaster>.Instance);
        var sensors = Enumerable.Range(0, 50).Select(i => new Sensor(broken, seed: i, time: 1)).ToArray();
        var before = sensors.Select(s => s.State.ToArray()).ToArray();

        var calls = sensors.Select(s => forecaster.StepAsync(s.Inputs, s.State, s.Forecast).AsTask()).ToArray();
        await Task.WhenAny(Task.WhenAll(calls), Task.Delay(Patience));

        Assert.All(calls, c => Assert.IsType<InferenceException>(c.Exception?.InnerException));
        Assert.All(sensors.Zip(before), pair => Assert.Equal(pair.Second, pair.First.State));
        Assert.Equal(50, forecaster.Statistics.Failures);
        Assert.Equal(0, forecaster.Statistics.Pending);
    }

    [Fact]
    public async Task StepAsync_RefusesANonFiniteOutput_AndLeavesTheStateUntouched()
    {
        using var poisoned = OnnxModel.Open(FaultyModels.NanOutput, BundledModel.Options());
        await using var forecaster = new BatchingForecaster(poisoned, BundledModel.Options(), NullLogger<BatchingForecaster>.Instance);
        var sensor = new Sensor(poisoned, seed: 1, time: 1);
        var before = sensor.State.ToArray();
        var forecastBefore = sensor.Forecast.ToArray();

        var error = await Assert.ThrowsAsync<InferenceException>(async () => await forecaster.StepAsync(sensor.Inputs, sensor.State, sensor.Forecast));

        Assert.Contains("non-finite", error.Message);
        Assert.Equal(before, sensor.State);
        Assert.Equal(forecastBefore, sensor.Forecast);
    }

    [Fact]
    public async Task StepAsync_CompletesEveryCaller_WithSeveralWorkers()
    {
        var options = BundledModel.Options(maxBatch: 8);
        options.Workers = 3;
        await using var forecaster = new BatchingForecaster(_model, options, NullLogger<BatchingForecaster>.Instance);

        for (var round = 0; round < 20; round++)
        {
            var sensors = Enumerable.Range(0, 1 + (round * 7 % 40)).Select(i => new Sensor(_model, seed: i, time: 1)).ToArray();
            await Task.WhenAll(sensors.Select(s => forecaster.StepAsync(s.Inputs, s.State, s.Forecast).AsTask())).WaitAsync(Patience);
            Assert.All(sensors, s => s.AssertMatchesOneCallPerStep(_model));
        }

        Assert.Equal(0, forecaster.Statistics.Pending);
    }

    [Fact]
    public async Task StepAsync_RejectsBuffersOfTheWrongSize()
    {
        await using var forecaster = Create();
        var d = _model.Descriptor;

        Assert.Throws<ArgumentException>(() => { _ = forecaster.StepAsync(Array.Empty<float>(), new float[d.StateSize], new float[d.Horizon]); });
        Assert.Throws<ArgumentException>(() => { _ = forecaster.StepAsync(new float[1], new float[3], new float[d.Horizon]); });
        Assert.Throws<ArgumentException>(() => { _ = forecaster.StepAsync(new float[1], new float[d.StateSize], new float[1]); });
    }

    [Fact]
    public async Task DisposeAsync_Returns_WhenNoStepEverCame_AndStepsAfterItAreRefused()
    {
        var forecaster = Create();
        await forecaster.DisposeAsync().AsTask().WaitAsync(Patience);

        var sensor = new Sensor(_model, seed: 1, time: 1);
        Assert.Throws<ObjectDisposedException>(() => { _ = forecaster.StepAsync(sensor.Inputs, sensor.State, sensor.Forecast); });
        Assert.Equal(0, forecaster.Statistics.Pending);
    }

    public void Dispose() => _model.Dispose();

    private BatchingForecaster Create(int maxBatch = 256) =>
        new(_model, BundledModel.Options(maxBatch), NullLogger<BatchingForecaster>.Instance);

    /// <summary>One sensor's buffers, with the inputs it started from, to replay them one call at a time.</summary>
    private sealed class Sensor
    {
        private readonly float[] _initialState;

        public Sensor(OnnxModel model, int seed, int time)
        {
            var random = new Random(seed);
            Inputs = [.. Enumerable.Range(0, time).Select(_ => (float)((random.NextDouble() * 4) - 2))];
            State = [.. Enumerable.Range(0, model.Descriptor.StateSize).Select(_ => (float)((random.NextDouble() * 0.5) - 0.25))];
            Forecast = new float[model.Descriptor.Horizon];
            _initialState = [.. State];
        }

        public float[] Inputs { get; }

        public float[] State { get; }

        public float[] Forecast { get; }

        public void AssertMatchesOneCallPerStep(OnnxModel model)
        {
            using var runner = new StepRunner(model, 1, Inputs.Length);
            runner.Prepare(1, Inputs.Length);
            Inputs.CopyTo(runner.Inputs(0));
            runner.SetState(0, _initialState);
            runner.Run();
            var state = new float[State.Length];
            var forecast = new float[Forecast.Length];
            runner.CopyOutputs(0, state, forecast);

            Assert.All(state.Zip(State), p => Assert.Equal(p.First, p.Second, 1e-5f));
            Assert.All(forecast.Zip(Forecast), p => Assert.Equal(p.First, p.Second, 1e-5f));
        }
    }
}
