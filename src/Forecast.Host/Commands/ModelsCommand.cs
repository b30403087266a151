using Forecast.Host.Extensions;
using Forecast.Inference.Onnx;

namespace Forecast.Host.Commands;

/// <summary>
/// <c>forecast models validate DIR</c>: loads a model folder through the same validator the serving
/// path uses and prints each check it passed, or the first reason it must not be served.
/// </summary>
internal static class ModelsCommand
{
    /// <summary>Exit status of a model that fails validation.</summary>
    public const int Invalid = 1;

    public static int Validate(string directory, string[] options, TextWriter stdout, TextWriter stderr)
    {
        var configuration = ForecastHostBuilder.Create(options).Configuration;
        var inference = configuration.GetSection(OnnxInferenceOptions.SectionName).Get<OnnxInferenceOptions>() ?? new();
        inference.ModelDirectory = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(inference.ModelDirectory))
        {
            stderr.WriteLine($"forecast models validate: {inference.ModelDirectory} is not a folder; pass the folder holding model.onnx, manifest.json and golden.json.");
            return Invalid;
        }

        try
        {
            using var model = OnnxModel.Load(inference.ModelDirectory, inference);
            var d = model.Descriptor;
            stdout.WriteLine($"model {d.Id} in {model.Directory}");
            foreach (var line in model.ValidationReport)
            {
                stdout.WriteLine($"  ok  {line}");
            }

            stdout.WriteLine(
                $"  horizon {d.Horizon}, window {d.Window}, warm-up {d.Warmup} readings, sampling {d.SamplingInterval}, " +
                $"interval {d.IntervalLevel:P0} (z {d.IntervalZ}), execution provider {inference.ExecutionProvider}");
            stdout.WriteLine("valid: this model can be served");
            return 0;
        }
        catch (ModelValidationException exception)
        {
            stderr.WriteLine($"invalid: {exception.Message}");
            return Invalid;
        }
    }
}
