using Forecast.Inference.Onnx;

namespace Forecast.Bench.Tests;

/// <summary>Small runs of the pipeline and inference benchmarks, on the bundled model and a real silo.</summary>
public sealed class PipelineBenchmarkTests
{
    [Fact]
    public async Task RunAsync_SensorsDeactivatedWhenIdle_ResumeFromTheirStoredState()
    {
        // Exit 0 needs no failed call and every sampled sensor counting exactly one more reading after its reactivation.
        var exitCode = await PipelineBenchmark.RunAsync(["--Simulator:Sensors", "200", "--Bench:Seconds", "1"]);

        Assert.Equal(0, exitCode);
    }

    [Fact]
    public void Yardstick_TimesTheGateProductOfTheBundledModel()
    {
        var options = new OnnxInferenceOptions { MaxBatch = 16 };
        using var model = OnnxModel.Load(options.ModelDirectory, options);

        var rows = Yardstick.RowsPerSecond(model.Descriptor, options, TimeSpan.FromMilliseconds(200));

        Assert.True(rows > 1_000, $"{rows} rows/s");
    }
}
