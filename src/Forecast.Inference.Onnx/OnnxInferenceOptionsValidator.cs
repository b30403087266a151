using Forecast.Abstractions;

namespace Forecast.Inference.Onnx;

/// <summary>Checks <see cref="OnnxInferenceOptions"/>; each message names the key, its range and default.</summary>
internal sealed class OnnxInferenceOptionsValidator : OptionsValidator<OnnxInferenceOptions>
{
    protected override IEnumerable<string> Failures(OnnxInferenceOptions o)
    {
        if (o.MaxBatch is < 1 or > 65536)
        {
            yield return "Inference:MaxBatch must be between 1 and 65536 (default 256).";
        }

        if (o.MaxWait < TimeSpan.Zero || o.MaxWait > TimeSpan.FromSeconds(1))
        {
            yield return "Inference:MaxWait must be between 00:00:00 and 00:00:01 (default 200 µs, 00:00:00.0002).";
        }

        if (o.Workers is < 1 or > 64)
        {
            yield return "Inference:Workers must be between 1 and 64 (default 1).";
        }

        if (o.IntraOpThreads < 0)
        {
            yield return "Inference:IntraOpThreads must be 0 (ONNX Runtime decides) or more (default 1).";
        }

        if (o.ExecutionProvider is not ("cpu" or "cuda"))
        {
            yield return "Inference:ExecutionProvider must be 'cpu' or 'cuda'.";
        }
    }
}
