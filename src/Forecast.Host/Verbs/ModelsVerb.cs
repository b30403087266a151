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
        var models = new Command("models", "Model folders and the cluster's model registry: validate a folder; deploy, list, promote and roll back versions on a running silo.") { validate };
        foreach (var command in RegistryCommands())
        {
            models.Subcommands.Add(command);
        }

        return models;
    }

    /// <summary><c>deploy</c>, <c>list</c>, <c>promote</c>, <c>rollback</c> and <c>audit</c>: calls to a running silo's model endpoints.</summary>
    private static IEnumerable<Command> RegistryCommands()
    {
        var url = new Option<string>("--url") { Description = "The silo's HTTP address, as its --urls (such as http://127.0.0.1:8080)", Required = true };
        var keyFile = new Option<string>("--api-key-file") { Description = "A file whose first line is an API key of the silo's --Api:KeyFile", Required = true };

        Command Call(string name, string description, Func<ParseResult, ModelRegistryClient, Task<int>> action, params Symbol[] symbols)
        {
            var command = new Command(name, description) { url, keyFile };
            foreach (var symbol in symbols)
            {
                switch (symbol)
                {
                    case Argument argument:
                        command.Arguments.Add(argument);
                        break;
                    case Option option:
                        command.Options.Add(option);
                        break;
                }
            }

            command.SetAction((parse, _) => ModelRegistryClient.RunAsync(
                parse.GetRequiredValue(url), parse.GetRequiredValue(keyFile), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error,
                client => action(parse, client)));
            return command;
        }

        var folder = new Argument<string>("DIR") { Description = "The model folder: model.onnx, manifest.json and golden.json" };
        var mode = new Option<string>("--mode") { Description = "canary (a share of sensors, the default), shadow (alongside the primary, never alerted on) or primary", DefaultValueFactory = _ => "canary" };
        mode.AcceptOnlyFromAmong("canary", "shadow", "primary");
        var percent = new Option<int?>("--percent") { Description = "Canary or shadow: the share of sensors, 1 to 100 (defaults: canary 10, shadow 100)" };
        var sensors = new Option<string?>("--sensors") { Description = "Canary or shadow: only sensors matching this glob (default *)" };
        yield return Call("deploy", "Uploads a model folder to the silo (validated there as by validate) and deploys it as a canary, a shadow or the primary.",
            (parse, client) => client.DeployAsync(parse.GetRequiredValue(folder), parse.GetRequiredValue(mode), parse.GetValue(percent), parse.GetValue(sensors)),
            folder, mode, percent, sensors);

        var id = new Argument<string>("NAME@VERSION") { Description = "A version in the registry, such as gru-window@2" };
        yield return Call("promote", "Makes a version the primary for every sensor (the canary or shadow it was ends).", (parse, client) => client.PromoteAsync(parse.GetRequiredValue(id)), id);
        yield return Call("rollback", "Retires the canary or shadow in use, or else brings the previous primary back.", (_, client) => client.RollbackAsync());
        yield return Call("list", "Prints the registry as JSON: every version, its stage and its live MAE and interval coverage.", (_, client) => client.ListAsync());
        yield return Call("audit", "Prints who did what to the registry, when, and what came of it (JSON).", (_, client) => client.AuditAsync());
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
