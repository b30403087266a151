using Microsoft.ML.OnnxRuntime;

namespace Forecast.Inference.Onnx;

/// <summary>Session options per execution provider: the one place where CPU and CUDA differ.</summary>
internal static class ExecutionProviders
{
    public static SessionOptions CreateSessionOptions(OnnxInferenceOptions options)
    {
        var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = options.IntraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };

        switch (options.ExecutionProvider.ToLowerInvariant())
        {
            case "cpu":
                break;
            case "cuda":
                // Needs the Microsoft.ML.OnnxRuntime.Gpu build of the native library; the caller falls back to CPU when it throws.
                sessionOptions.AppendExecutionProvider_CUDA(options.DeviceId);
                break;
            default:
                sessionOptions.Dispose();
                throw new ArgumentException(
                    $"Inference:ExecutionProvider '{options.ExecutionProvider}' is unknown; use 'cpu' or 'cuda'.", nameof(options));
        }

        return sessionOptions;
    }
}
