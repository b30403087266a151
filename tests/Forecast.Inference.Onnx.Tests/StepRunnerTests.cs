namespace Forecast.Inference.Onnx.Tests;

public sealed class StepRunnerTests
{
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
