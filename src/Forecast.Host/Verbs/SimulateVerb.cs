using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Confluent.Kafka;
using Forecast.Host.Hosting;
using Forecast.Host.Simulation;

namespace Forecast.Host.Verbs;

/// <summary>
/// <c>forecast simulate --kafka BOOTSTRAP</c>: produces realistic readings of the built-in simulated
/// sensors to Kafka (JSON, key = sensor id, event time = now) at a chosen rate, for demos and load tests.
/// </summary>
internal static class SimulateVerb
{
    public static Command Create()
    {
        var command = new Command("simulate", "Produces the simulated sensors' readings to Kafka (JSON, key = sensor id) at a steady rate.")
        {
            new KeyOption("--kafka", "Kafka:BootstrapServers", "Kafka brokers to produce to (required)", "BOOTSTRAP"),
            new KeyOption("--topic", "Kafka:Topic", "Readings topic (default sensor-readings)", "TOPIC"),
            new KeyOption("--sensors", "Simulator:Sensors", "Simulated sensors (default 1,000)", "N"),
            new KeyOption("--interval", "Simulator:Interval", "Time between two readings of one sensor, when --rate is not given (default 1s)", "DURATION", duration: true),
            new KeyOption("--seed", "Simulator:Seed", "Seed of the simulated sensors (default 42)", "N"),
            new KeyOption("--rate", "Simulate:Rate", "Readings per second over all sensors (default sensors / interval)", "N"),
            new KeyOption("--duration", "Run:Duration", "Stop after this long (default: at Ctrl+C)", "DURATION", duration: true),
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, _) => RunAsync(VerbConfiguration.Arguments(parse)));
        return command;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var configuration = ForecastHostBuilder.Create(args).Configuration;
        var bootstrap = configuration["Kafka:BootstrapServers"];
        if (string.IsNullOrWhiteSpace(bootstrap))
        {
            throw new ArgumentException("simulate needs --kafka BOOTSTRAP_SERVERS, for example --kafka localhost:9092.");
        }

        var simulator = ValidatedOptions.Get(configuration, SimulatorOptions.SectionName, new SimulatorOptionsValidator());
        var topic = configuration["Kafka:Topic"] ?? "sensor-readings";
        var rate = configuration.GetValue<double?>("Simulate:Rate") ?? simulator.Sensors / simulator.Interval.TotalSeconds;
        var duration = configuration.GetValue<TimeSpan?>("Run:Duration");
        if (simulator.Sensors < 1 || !(rate > 0))
        {
            throw new ArgumentException("--sensors and --rate must be positive.");
        }

        var producerConfig = new ProducerConfig { BootstrapServers = bootstrap, EnableIdempotence = true, Acks = Acks.All, LingerMs = 5 };
        foreach (var (key, value) in configuration.GetSection("Kafka:Producer").Get<Dictionary<string, string>>() ?? [])
        {
            producerConfig.Set(key, value);
        }

        using var producer = new ProducerBuilder<string, byte[]>(producerConfig).Build();
        using var stop = duration is { } limit ? new CancellationTokenSource(limit) : new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };

        var sensors = simulator.CreateSensors();
        long produced = 0;
        long failed = 0;
        var started = Stopwatch.GetTimestamp();
        var lastReport = started;
        Console.Error.WriteLine($"simulate: {sensors.Length:N0} sensors to {topic} on {bootstrap} at {rate:N0} readings/s");
        void Delivered(DeliveryReport<string, byte[]> report)
        {
            if (report.Error.IsError)
            {
                Interlocked.Increment(ref failed);
            }
        }

        for (long n = 0; !stop.IsCancellationRequested; n++)
        {
            var due = TimeSpan.FromSeconds(n / rate) - Stopwatch.GetElapsedTime(started);
            if (due > TimeSpan.FromMilliseconds(1))
            {
                try
                {
                    await Task.Delay(due, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            var sensor = sensors[n % sensors.Length];
            var reading = new { sensor = sensor.Id, ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), value = sensor.Next(n / sensors.Length) };
            producer.Produce(topic, new Message<string, byte[]> { Key = sensor.Id, Value = JsonSerializer.SerializeToUtf8Bytes(reading) }, Delivered);
            produced++;
            if (Stopwatch.GetElapsedTime(lastReport) > TimeSpan.FromSeconds(5))
            {
                lastReport = Stopwatch.GetTimestamp();
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{Stopwatch.GetElapsedTime(started):hh\\:mm\\:ss}] produced {produced:N0}, failed {Interlocked.Read(ref failed):N0}"));
            }
        }

        producer.Flush(TimeSpan.FromSeconds(30));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Console.WriteLine(JsonSerializer.Serialize(new { produced, failed = Interlocked.Read(ref failed), readingsPerSecond = Math.Round(produced / seconds, 1), seconds = Math.Round(seconds, 1) }));
        return failed == 0 ? 0 : 1;
    }
}
