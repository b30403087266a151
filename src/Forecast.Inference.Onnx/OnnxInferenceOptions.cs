namespace Forecast.Inference.Onnx;

/// <summary>Which model to serve and how steps are batched into ONNX Runtime calls.</summary>
public sealed class OnnxInferenceOptions
{
    /// <summary>Configuration section: <c>Inference</c>.</summary>
    public const string SectionName = "Inference";

    /// <summary>Folder holding <c>model.onnx</c>, <c>manifest.json</c> and the golden vectors. Default: the bundled model.</summary>
    public string ModelDirectory { get; set; } = Path.Combine(AppContext.BaseDirectory, "models", "default");

    /// <summary>Most sensor steps coalesced into one model call. Default 256.</summary>
    public int MaxBatch { get; set; } = 256;

    /// <summary>
    /// How long a partly filled batch may wait for more steps before it runs. Under load batches fill
    /// while the previous call runs, so this matters only when traffic is light. Default 200 µs; zero runs at once.
    /// </summary>
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromMicroseconds(200);

    /// <summary>Model calls that may run at the same time (each with its own buffers). Default 1.</summary>
    public int Workers { get; set; } = 1;

    /// <summary>Threads ONNX Runtime uses inside one call. Default 1: batching, not intra-op threads, gives throughput.</summary>
    public int IntraOpThreads { get; set; } = 1;

    /// <summary><c>cpu</c> (default) or <c>cuda</c>.</summary>
    public string ExecutionProvider { get; set; } = "cpu";

    /// <summary>CUDA device id when <see cref="ExecutionProvider"/> is <c>cuda</c>. Default 0.</summary>
    public int DeviceId { get; set; }
}
