using System.CommandLine;

namespace Forecast.Host.Verbs;

/// <summary>
/// The <c>forecast</c> command line: <c>run</c> (also what <c>forecast</c> alone does), <c>simulate</c>,
/// <c>models validate</c>, <c>evaluate</c> and <c>verify</c>, each with <c>--help</c>. Errors in the arguments or the
/// configuration exit with status 2 and one line saying what to fix.
/// </summary>
internal static class ForecastCommandLine
{
    /// <summary>Exit status of a command line or configuration that cannot run.</summary>
    public const int Refused = 2;

    public static RootCommand Create()
    {
        var root = RunVerb.Configure(new RootCommand("forecast: time-series forecasting for sensor streams (Orleans + ONNX Runtime). Without a command: forecast run."));
        root.Subcommands.Add(RunVerb.Create());
        root.Subcommands.Add(SimulateVerb.Create());
        root.Subcommands.Add(ModelsVerb.Create());
        root.Subcommands.Add(EvaluateVerb.Create());
        root.Subcommands.Add(VerifyVerb.Create());
        return root;
    }

    public static Task<int> InvokeAsync(string[] args, TextWriter stdout, TextWriter stderr) => InvokeAsync(Create(), args, stdout, stderr);

    /// <summary>Runs <paramref name="root"/>'s verb (the benchmarks have their own root) with forecast's error handling.</summary>
    public static async Task<int> InvokeAsync(RootCommand root, string[] args, TextWriter stdout, TextWriter stderr)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                stderr.WriteLine($"forecast: {error.Message}");
            }

            stderr.WriteLine($"forecast: see forecast {parse.CommandResult.Command.Name} --help.");
            return Refused;
        }

        try
        {
            // No signal handling here: the host's console lifetime stops a silo gracefully on SIGTERM and Ctrl+C
            // (grains deactivated, the alert outbox drained, the summary printed), which would otherwise be cut
            // short after two seconds with exit status 143 or 130.
            return await parse.InvokeAsync(new InvocationConfiguration
            {
                Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null,
            });
        }
        catch (Exception exception) when (exception is ArgumentException or OptionsValidationException or Inference.Onnx.ModelValidationException
            or FormatException or Orleans.Runtime.OrleansConfigurationException
            // The configuration binder refusing a value of the wrong type: "Failed to convert configuration value 'x' at 'Key' ...".
            || (exception is InvalidOperationException && exception.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal)))
        {
            stderr.WriteLine($"forecast: {exception.Message}");
            return Refused;
        }
        catch (Microsoft.AspNetCore.Connections.AddressInUseException exception)
        {
            stderr.WriteLine($"forecast: a port is already in use ({exception.Message}); choose free ones with Orleans:SiloPort, Orleans:GatewayPort and --urls.");
            return Refused;
        }
    }
}
