using BenchmarkDotNet.Attributes;
using Forecast.Inference.Onnx;

namespace Forecast.Benchmarks;

/// <summary>
/// Cost of one ONNX Runtime call of the bundled model by batch size, buffers reused: the reason the
/// silo batches steps across sensors. Run: <c>dotnet run -c Release --project benchmarks/Forecast.Benchmarks -- --filter *StepRunner*</c>.
/// </summary>
[MemoryDiagnoser]
public class StepRunnerBenchmarks
{
    private OnnxModel _model = null!;
    private StepRunner _runner = null!;

    [Params(1, 16, 256)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "models", "default");
        _model = OnnxModel.Load(directory, new OnnxInferenceOptions { ModelDirectory = directory });
        _runner = new StepRunner(_model, Batch, 1);
        _runner.Prepare(Batch, 1);
        for (var row = 0; row < Batch; row++)
        {
            _runner.Inputs(row).Fill(0.1f * (row % 10));
        }
    }

    [Benchmark(Description = "one Run of `Batch` stateful steps")]
    public void Run() => _runner.Run();

    [GlobalCleanup]
    public void Cleanup()
    {
        _runner.Dispose();
        _model.Dispose();
    }
}
