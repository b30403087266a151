using System.Diagnostics;
using System.Text.Json;
using Forecast.Diagnostics;
using Forecast.Host.Diagnostics;
using Forecast.Host.Embedded;
using Forecast.Host.Extensions;
using Forecast.Host.Simulation;
using Forecast.Ingestion.Kafka;

namespace Forecast.Host;

/// <summary><c>forecast run</c>: one silo with embedded defaults until Ctrl+C or <c>--duration</c>.</summary>
internal static class RunCommand
{
    public static async Task<int> RunAsync(string[] options)
    {
        var builder = ForecastHostBuilder.CreateWeb(options, new Dictionary<string, string?> { ["Urls"] = "http://127.0.0.1:8080" });
        builder.AddForecastSilo();
        builder.AddPredictionSink();
        var fromKafka = builder.Configuration.GetSection(KafkaIngestionOptions.SectionName).Exists();
        if (fromKafka)
        {
            builder.AddKafkaIngestion();
        }
        else
        {
            builder.AddSimulator();
        }

        builder.Services.AddHostedService<ProgressReporter>();
        var duration = builder.Configuration.GetValue<TimeSpan?>("Run:Duration");

        await using var host = builder.Build();
        host.MapHealthEndpoints();
        host.MapSensorEndpoints();
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
            deadLettered = host.Services.GetService<KafkaIngestionService>()?.DeadLettered,
            ignored = metrics.Ignored,
            failedCalls = metrics.FailedCalls,
            seconds = Math.Round(seconds, 1),
        }));
        return 0;
    }

    private static IHostApplicationBuilder AddSimulator(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SimulatorOptions>()
            .Bind(builder.Configuration.GetSection(SimulatorOptions.SectionName))
            .Validate(o => o.Sensors >= 1, "Simulator:Sensors (--sensors) must be at least 1.")
            .Validate(o => o.Interval >= TimeSpan.FromMilliseconds(1), "Simulator:Interval (--interval) must be at least 1ms.")
            .Validate(o => o.AnomalyRate is >= 0 and <= 1, "Simulator:AnomalyRate must be between 0 and 1.")
            .Validate(o => o.MaxInFlight >= 1, "Simulator:MaxInFlight (--in-flight) must be at least 1.")
            .ValidateOnStart();
        builder.Services.AddSingleton(sp => new ReadingDriver(
            sp.GetRequiredService<IGrainFactory>(),
            sp.GetRequiredService<PipelineMetrics>(),
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<SimulatorOptions>>().Value.MaxInFlight));
        builder.Services.AddSingleton<SimulatorService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SimulatorService>());
        return builder;
    }
}
