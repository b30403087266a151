using System.CommandLine;
using Forecast.Bench;
using Forecast.Host.Verbs;

// dotnet run -c Release --project benchmarks/Forecast.Bench -- inference|pipeline|kafka|edge|placement|influx|peer [options]
// Each prints one JSON line; any configuration key works as --Section:Key value, as with forecast.
var root = new RootCommand("Forecast's load benchmarks; each prints one JSON line.")
{
    Verb("inference", "ONNX steps/s: one call per step, the batching dispatcher at 10,000 sensors, and recomputing a 32-step window per reading.", InferenceBenchmark.RunAsync),
    Verb("pipeline", "The embedded pipeline at full speed and at half that rate: readings/s, latency, memory per sensor.", PipelineBenchmark.RunAsync),
    Verb("kafka", "Readings/s from Kafka (librdkafka's mock cluster) to durable predictions, and latency at half that rate.", KafkaBenchmark.RunAsync),
    Verb("placement", "Two silos in one process clustered through Redis (--Orleans:Redis HOST:PORT): sensors on the calling silo against sensors on the other.", PlacementBenchmark.RunAsync),
    Verb("edge", "Readings/s through HTTP ingest (gzip line protocol, 5,000 per request) into the embedded pipeline, to compare with kafka.", EdgeBenchmark.RunAsync),
    Verb("peer", "Forecast against the Python service a user would write (benchmarks/peer/peer.py), same Kafka backlog and InfluxDB 1.x: both rates and their ratio.", PeerBenchmark.RunAsync),
    Verb("influx", "Prediction points/s through the InfluxDB sink to a real server (--InfluxDb:Url, 1.x by default), with CPU per point.", InfluxBenchmark.RunAsync),
};
return await ForecastCommandLine.InvokeAsync(root, args, Console.Out, Console.Error);

static Command Verb(string name, string description, Func<string[], Task<int>> run)
{
    var command = new Command(name, description)
    {
        new KeyOption("--sensors", "Simulator:Sensors", "Sensors driven (each benchmark has its default)", "N"),
        new KeyOption("--readings-per-call", "Bench:ReadingsPerCall", "Readings in one grain call (pipeline, placement)", "N"),
        new KeyOption("--model", "Inference:ModelDirectory", "Model folder (default: the bundled model)", "DIR"),
        new KeyOption("--max-batch", "Inference:MaxBatch", "Sensors stepped in one ONNX call at most (default 256)", "N"),
        new KeyOption("--max-wait", "Inference:MaxWait", "How long a batch waits to fill (default 200us)", "DURATION", duration: true),
    };
    command.TreatUnmatchedTokensAsErrors = false;
    command.SetAction((parse, _) => run(VerbConfiguration.Arguments(parse)));
    return command;
}
