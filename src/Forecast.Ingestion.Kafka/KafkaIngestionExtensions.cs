using Forecast.Abstractions;
using Forecast.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Forecast.Ingestion.Kafka;

/// <summary>Registers Kafka ingestion in a silo.</summary>
public static class KafkaIngestionExtensions
{
    /// <summary>
    /// Binds <see cref="KafkaIngestionOptions"/> from the <c>Kafka</c> section and runs one
    /// <see cref="KafkaIngestionService"/>. When <c>Kafka:PredictionsTopic</c> or <c>Kafka:AnomaliesTopic</c>
    /// is set, the registered <see cref="IPredictionSink"/> is wrapped so outputs also go to Kafka;
    /// call this after the sink is registered. Needs <see cref="PipelineMetrics"/> and <see cref="TimeProvider"/>.
    /// </summary>
    public static IHostApplicationBuilder AddKafkaIngestion(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<KafkaIngestionOptions>()
            .Bind(builder.Configuration.GetSection(KafkaIngestionOptions.SectionName))
            .Validate(o => !string.IsNullOrWhiteSpace(o.BootstrapServers), "Kafka:BootstrapServers is required, for example kafka:9092.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.Topic) && !string.IsNullOrWhiteSpace(o.DeadLetterTopic) && o.Topic != o.DeadLetterTopic,
                "Kafka:Topic and Kafka:DeadLetterTopic must be set and differ (defaults sensor-readings and sensor-readings.dlq).")
            .Validate(o => !string.IsNullOrWhiteSpace(o.GroupId), "Kafka:GroupId must be set (default forecast).")
            .Validate(o => o.MaxPollMessages >= 1 && o.MaxConcurrentCalls >= 1 && o.MaxInFlightReadings >= 2,
                "Kafka:MaxPollMessages and Kafka:MaxConcurrentCalls must be at least 1, Kafka:MaxInFlightReadings at least 2.")
            .Validate(o => o.MaxMessageBytes >= 64, "Kafka:MaxMessageBytes must be at least 64 (default 1048576).")
            .Validate(o => o.PollTimeout > TimeSpan.Zero && o.DrainTimeout >= TimeSpan.Zero && o.MaxFuture >= TimeSpan.Zero && o.MaxAge > TimeSpan.Zero,
                "Kafka:PollTimeout and Kafka:MaxAge must be positive; Kafka:DrainTimeout and Kafka:MaxFuture not negative.")
            .ValidateOnStart();
        builder.Services.AddSingleton(sp => sp.GetRequiredService<IOptions<KafkaIngestionOptions>>().Value);
        builder.Services.AddSingleton(sp => new ReadingDecoder(sp.GetRequiredService<KafkaIngestionOptions>(), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(sp => new DeadLetterPublisher(
            sp.GetRequiredService<KafkaIngestionOptions>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<DeadLetterPublisher>>()));
        builder.Services.AddSingleton(sp => new SensorRouter(
            sp.GetRequiredService<IGrainFactory>(),
            sp.GetRequiredService<KafkaIngestionOptions>(),
            sp.GetRequiredService<PipelineMetrics>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<SensorRouter>>(),
            sp.GetService<ILocalSiloDetails>()?.SiloAddress));
        builder.Services.AddSingleton(CreateService);
        builder.Services.AddHostedService(sp => sp.GetRequiredService<KafkaIngestionService>());

        var section = builder.Configuration.GetSection(KafkaIngestionOptions.SectionName);
        if (!string.IsNullOrWhiteSpace(section["PredictionsTopic"]) || !string.IsNullOrWhiteSpace(section["AnomaliesTopic"]))
        {
            DecorateSink(builder.Services);
        }

        return builder;
    }

    /// <summary>Another consumer in the same group, sharing this silo's router (for tests of joining and leaving members).</summary>
    internal static KafkaIngestionService CreateService(IServiceProvider services) => new(
        services.GetRequiredService<KafkaIngestionOptions>(),
        services.GetRequiredService<ReadingDecoder>(),
        services.GetRequiredService<SensorRouter>(),
        services.GetRequiredService<DeadLetterPublisher>(),
        services.GetRequiredService<TimeProvider>(),
        services.GetRequiredService<ILogger<KafkaIngestionService>>());

    private static void DecorateSink(IServiceCollection services)
    {
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(IPredictionSink))
            ?? throw new InvalidOperationException("Register the prediction sink before AddKafkaIngestion when Kafka outputs are configured.");
        services.Remove(registered);
        services.AddSingleton<IPredictionSink>(sp => new KafkaOutputSink(
            registered.ImplementationInstance as IPredictionSink
                ?? registered.ImplementationFactory?.Invoke(sp) as IPredictionSink
                ?? (IPredictionSink)ActivatorUtilities.CreateInstance(sp, registered.ImplementationType!),
            sp.GetRequiredService<KafkaIngestionOptions>()));
    }
}
