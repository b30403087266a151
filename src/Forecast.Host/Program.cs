using Forecast.Host;
using Forecast.Host.Benchmarks;
using Forecast.Host.Commands;
using Forecast.Host.Extensions;
using Forecast.Inference.Onnx;
using Microsoft.Extensions.Options;

try
{
    var (verbs, options) = CommandLine.Parse(args);
    return verbs switch
    {
        [] or ["run"] => await RunCommand.RunAsync(options),
        ["simulate"] => await SimulateCommand.RunAsync(options),
        ["bench", "inference"] => await InferenceBenchmark.RunAsync(options),
        ["bench", "pipeline"] => await PipelineBenchmark.RunAsync(options),
        ["models", "validate", var directory] => ModelsCommand.Validate(directory, options, Console.Out, Console.Error),
        ["evaluate"] => await EvaluateCommand.RunAsync(options, Console.Out, Console.Error),
        ["bench", "influx"] => await InfluxBenchmark.RunAsync(options),
        ["bench", "kafka"] => await KafkaBenchmark.RunAsync(options),
        ["bench", "placement"] => await PlacementBenchmark.RunAsync(options),
        _ => Usage.Print(verbs),
    };
}
catch (Exception exception) when (exception is ArgumentException or OptionsValidationException or ModelValidationException
    or FormatException or Orleans.Runtime.OrleansConfigurationException
    // The configuration binder refusing a value of the wrong type: "Failed to convert configuration value 'x' at 'Key' ...".
    || (exception is InvalidOperationException && exception.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal)))
{
    Console.Error.WriteLine($"forecast: {exception.Message}");
    return 2;
}
catch (Microsoft.AspNetCore.Connections.AddressInUseException exception)
{
    Console.Error.WriteLine($"forecast: a port is already in use ({exception.Message}); choose free ones with Orleans:SiloPort, Orleans:GatewayPort and --urls.");
    return 2;
}
