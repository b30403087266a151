using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Forecast.Alerting;
using Forecast.Alerting.Outbox;
using Forecast.Dashboard;
using Forecast.Diagnostics;
using Forecast.Host.Diagnostics;
using Forecast.Sinks.Embedded;
using Forecast.Host.Endpoints;
using Forecast.Host.Hosting;
using Forecast.Host.Simulation;
using Forecast.Ingestion;
using Forecast.Ingestion.Http;
using Forecast.Ingestion.Kafka;
using Forecast.Ingestion.Mqtt;

namespace Forecast.Host.Verbs;

/// <summary><c>forecast run</c>: one silo with embedded defaults until Ctrl+C or <c>--duration</c>.</summary>
internal static class RunVerb
{
    public const string Description =
        "One silo with embedded defaults: the built-in simulator, the bundled model and the in-memory store; " +
        "with --kafka it consumes readings from Kafka instead. Devices may also write over HTTP (POST /api/v2/write, /readings) " +
        "and MQTT (--Mqtt:Server). Prints progress every 5 s and a JSON summary on exit.";

    public static Command Create() => Configure(new Command("run", Description));

    /// <summary>Adds run's options and action to <paramref name="command"/> (<c>forecast</c> alone runs too).</summary>
    public static T Configure<T>(T command)
        where T : Command
    {
        command.Options.Add(new KeyOption("--sensors", "Simulator:Sensors", "Simulated sensors (default 1,000; 0: none, readings come from Kafka, HTTP or MQTT only)", "N"));
        command.Options.Add(new KeyOption("--interval", "Simulator:Interval", "Time between two readings of one simulated sensor (default 1s)", "DURATION", duration: true));
        command.Options.Add(new KeyOption("--seed", "Simulator:Seed", "Seed of the simulated sensors (default 42)", "N"));
        command.Options.Add(new KeyOption("--in-flight", "Simulator:MaxInFlight", "Simulator grain calls in flight at most (default 2,000)", "N"));
        command.Options.Add(new KeyOption("--duration", "Run:Duration", "Stop after this long (default: at Ctrl+C)", "DURATION", duration: true));
        command.Options.Add(new KeyOption("--model", "Inference:ModelDirectory", "Model folder to serve (default: the bundled model)", "DIR"));
        command.Options.Add(new KeyOption("--max-batch", "Inference:MaxBatch", "Sensors stepped in one ONNX call at most (default 256)", "N"));
        command.Options.Add(new KeyOption("--max-wait", "Inference:MaxWait", "How long a batch waits to fill (default 200us)", "DURATION", duration: true));
        command.Options.Add(new KeyOption("--kafka", "Kafka:BootstrapServers", "Consume readings from these Kafka brokers instead of simulating them", "BOOTSTRAP"));
        command.Options.Add(new KeyOption("--topic", "Kafka:Topic", "Readings topic (default sensor-readings)", "TOPIC"));
        command.Options.Add(new KeyOption("--mqtt", "Mqtt:Server", "Also take readings from this MQTT broker (HOST:PORT), topic --Mqtt:Topic (default devices/+/readings)", "HOST:PORT"));
        command.Options.Add(new KeyOption("--urls", "Urls", "Where the HTTP endpoints listen (default http://127.0.0.1:8080)", "URLS"));
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, _) => RunAsync(VerbConfiguration.Arguments(parse)));
        return command;
    }

    public static async Task<int> RunAsync(string[] options)
    {
        var builder = ForecastHostBuilder.CreateWeb(options, new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:8080",
            // Without Redis the registry of deployed models is kept beside the alert outbox, across restarts.
            ["Models:Directory"] = Path.Combine("forecast-data", "models"),
        });
        // Before the silo: hosted services stop in reverse order, so the outbox drains after the grains stop raising events.
        builder.AddAlerting(builder.Configuration["Orleans:Redis"]);
        builder.AddForecastSilo();
        builder.AddPredictionSink();
        builder.AddDashboard();
        var fromKafka = builder.Configuration.GetSection(KafkaIngestionOptions.SectionName).Exists();
        if (fromKafka)
        {
            builder.AddKafkaIngestion();
        }
        else if (builder.Configuration.GetValue<int?>("Simulator:Sensors") != 0)
        {
            builder.AddSimulator();
        }

        // The edge: with Kafka its readings are produced to the readings topic, else handed to the grains.
        builder.Services.AddGrainReadingWriter();
        builder.AddHttpIngestion();
        if (builder.Configuration.GetSection(MqttIngestionOptions.SectionName).Exists())
        {
            builder.AddMqttIngestion();
        }

        builder.Services.AddHostedService<ProgressReporter>();
        var duration = builder.Configuration.GetValue<TimeSpan?>("Run:Duration");

        await using var host = builder.Build();
        host.MapHealthEndpoints();
        host.MapSensorEndpoints();
        host.MapModelEndpoints();
        host.MapHttpIngestion();
        host.MapAlerting();
        host.MapDashboard();
        using var stop = duration is { } limit ? new CancellationTokenSource(limit) : new CancellationTokenSource();
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        await host.StartAsync();
        var started = Stopwatch.GetTimestamp();
        using (stop.Token.Register(lifetime.StopApplication))
        {
            await host.WaitForShutdownAsync();
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

        var metrics = host.Services.GetRequiredService<PipelineMetrics>();
        var store = host.Services.GetService<EmbeddedStore>();
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            readings = metrics.Applied,
            // With InfluxDB every applied reading's prediction is durable there; the embedded store counts its own.
            predictions = store?.Predictions ?? metrics.Applied,
            anomalies = store?.Anomalies ?? metrics.Anomalies,
            readingsPerSecond = Math.Round(metrics.Applied / seconds, 1),
            p99LatencyMs = Math.Round(metrics.Latency.PercentileMs(0.99), 2),
            p50LatencyMs = Math.Round(metrics.Latency.PercentileMs(0.5), 2),
            sensors = store?.Sensors,
            injectedAnomalies = host.Services.GetService<SimulatorService>()?.Injected,
            detector = host.Services.GetService<SimulatorService>()?.Detector is { } detector ? Detector(detector) : null,
            deadLettered = host.Services.GetService<KafkaIngestionService>()?.DeadLettered,
            httpRequests = host.Services.GetRequiredService<HttpIngestion>().Accepted,
            httpRefused = host.Services.GetRequiredService<HttpIngestion>().Refused,
            mqttMessages = host.Services.GetService<MqttIngestionService>()?.Messages,
            mqttDeadLettered = host.Services.GetService<MqttIngestionService>()?.DeadLettered,
            alerts = host.Services.GetService<AlertOutbox>() is { } outbox ? Alerts(outbox) : null,
            ignored = metrics.Ignored,
            failedCalls = metrics.FailedCalls,
            seconds = Math.Round(seconds, 1),
        }));
        return 0;
    }

    /// <summary>Each alert delivery's counters, as the summary reports them.</summary>
    private static object Alerts(AlertOutbox outbox) => new
    {
        deliveries = outbox.Channels.Select(c => c.Counters).Select(c => new
        {
            name = c.Name, pending = c.Pending, delivered = c.Delivered, retries = c.Retries, rejected = c.Rejected, dropped = c.Dropped, disabled = c.Disabled,
            unstored = c.Unstored, held = c.Held, storeError = c.StoreError,
        }),
        silenced = outbox.Silenced,
    };

    /// <summary>The detector against the simulator's ground truth, as the summary reports it.</summary>
    private static object Detector(DetectorCounts counts) => new
    {
        judgedInjections = counts.JudgedInjections,
        detectedInjections = counts.DetectedJudged,
        recall = counts.JudgedInjections > 0 ? Math.Round((double)counts.DetectedJudged / counts.JudgedInjections, 3) : (double?)null,
        detections = counts.Detections,
        trueDetections = counts.TrueDetections,
        precision = counts.Detections > 0 ? Math.Round((double)counts.TrueDetections / counts.Detections, 3) : (double?)null,
    };
}
