namespace Forecast.Inference.Onnx.Tests;

public sealed class StepRunnerTests : IDisposable
{
    private readonly OnnxModel _model = BundledModel.Load();

    [Fact]
    public void Run_ReadsEachCallsInputs_WhenCallsOfOneSizeReuseTheirBinding()
    {
        // One runner, as a dispatch loop keeps it: batch sizes come back, each with new rows.
        using var runner = new StepRunner(_model, 3, 1);
        var random = new Random(7);
        foreach (var rows in new[] { 2, 1, 2, 3, 2, 1 })
        {
            var inputs = Enumerable.Range(0, rows).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray();
            var states = Enumerable.Range(0, rows).Select(_ => RandomState(random)).ToArray();
            runner.Prepare(rows, 1);
            for (var row = 0; row < rows; row++)
            {
                runner.Inputs(row)[0] = inputs[row];
                runner.SetState(row, states[row]);
            }

            runner.Run();
            for (var row = 0; row < rows; row++)
            {
                var (state, forecast) = (new float[_model.Descriptor.StateSize], new float[_model.Descriptor.Horizon]);
                runner.CopyOutputs(row, state, forecast);
                var (expectedState, expectedForecast) = OneFreshCall(inputs[row], states[row]);
                Assert.All(expectedForecast.Zip(forecast), p => Assert.Equal(p.First, p.Second, 1e-5f));
                Assert.All(expectedState.Zip(state), p => Assert.Equal(p.First, p.Second, 1e-5f));
            }
        }
    }

    public void Dispose() => _model.Dispose();

    private float[] RandomState(Random random) =>
        [.. Enumerable.Range(0, _model.Descriptor.StateSize).Select(_ => (float)((random.NextDouble() * 0.5) - 0.25))];

    /// <summary>The same step through a runner of its own, whose first call binds nothing stale.</summary>
    private (float[] State, float[] Forecast) OneFreshCall(float input, float[] state)
    {
        using var runner = new StepRunner(_model, 1, 1);
        runner.Prepare(1, 1);
        runner.Inputs(0)[0] = input;
        runner.SetState(0, state);
        runner.Run();
        var (newState, forecast) = (new float[state.Length], new float[_model.Descriptor.Horizon]);
        runner.CopyOutputs(0, newState, forecast);
        return (newState, forecast);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void AllFinite_FindsANonFiniteValue_InEveryLaneAndInTheTail(float bad)
    {
        // 70 values: whole vectors and a tail, whatever the vector width.
        for (var position = 0; position < 70; position++)
        {
            var values = Enumerable.Range(0, 70).Select(i => (i - 35) * 0.37f).ToArray();
            values[position] = bad;

            Assert.False(StepRunner.AllFinite(values), $"{bad} at {position} was not found");
        }
    }

    [Fact]
    public void AllFinite_TakesEveryFiniteValue_TheExtremesToo()
    {
        float[] values = [float.MaxValue, float.MinValue, float.Epsilon, -float.Epsilon, 0f, -0f, 1e-40f, .. Enumerable.Repeat(3.5f, 20)];

        Assert.True(StepRunner.AllFinite(values));
        Assert.True(StepRunner.AllFinite([]));
    }
}
