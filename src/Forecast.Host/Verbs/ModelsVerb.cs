using System.CommandLine;
using Forecast.Host.Hosting;
using Forecast.Inference.Onnx;

namespace Forecast.Host.Verbs;

/// <summary>
/// <c>forecast models validate DIR</c>: loads a model folder through the same validator the serving
/// path uses and prints each check it passed, or the first reason it must not be served.
/// </summary>
internal static class ModelsVerb
{
    /// <summary>Exit status of a model that fails validation.</summary>
    public const int Invalid = 1;

    public static Command Create()
    {
        var directory = new Argument<string>("DIR") { Description = "The model folder: model.onnx, manifest.json and golden.json" };
        var validate = new Command("validate", "Checks a model folder as the serving path does (manifest vs graph, opset, golden vectors, random inputs); prints each check, or why it must not be served (exit status 1).")
        {
            directory,
        };
        validate.TreatUnmatchedTokensAsErrors = false;
        validate.SetAction(parse => Validate(
            parse.GetRequiredValue(directory), VerbConfiguration.Arguments(parse), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return new Command("models", "Model folders: validate one before serving it.") { validate };
    }

    public static int Validate(string directory, string[] options, TextWriter stdout, TextWriter stderr)
    {
        var configuration = ForecastHostBuilder.Create(options).Configuration;
        var inference = ValidatedOptions.Get(configuration, OnnxInferenceOptions.SectionName, new OnnxInferenceOptionsValidator());
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
