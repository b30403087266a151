using Microsoft.Extensions.Options;

namespace Forecast.Inference.Onnx;

/// <summary>Checks <see cref="OnnxInferenceOptions"/>; each message names the key, its range and default.</summary>
internal sealed class OnnxInferenceOptionsValidator : IValidateOptions<OnnxInferenceOptions>
{
    public ValidateOptionsResult Validate(string? name, OnnxInferenceOptions o)
    {
        var failures = new List<string>();
        if (o.MaxBatch is < 1 or > 65536)
        {
            failures.Add("Inference:MaxBatch must be between 1 and 65536 (default 256).");
        }

        if (o.MaxWait < TimeSpan.Zero || o.MaxWait > TimeSpan.FromSeconds(1))
        {
            failures.Add("Inference:MaxWait must be between 00:00:00 and 00:00:01 (default 200 µs, 00:00:00.0002).");
        }

        if (o.Workers is < 1 or > 64)
        {
            failures.Add("Inference:Workers must be between 1 and 64 (default 1).");
        }

        if (o.IntraOpThreads < 0)
        {
            failures.Add("Inference:IntraOpThreads must be 0 (ONNX Runtime decides) or more (default 1).");
        }

        if (o.ExecutionProvider is not ("cpu" or "cuda"))
        {
            failures.Add("Inference:ExecutionProvider must be 'cpu' or 'cuda'.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
