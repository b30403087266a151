using Forecast.Abstractions;
using Forecast.Diagnostics;

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
        builder.Services.AddKafkaIngestion(options => options.Bind(builder.Configuration.GetSection(KafkaIngestionOptions.SectionName)));
        return builder;
    }

    /// <summary>The same with the options set by <paramref name="configure"/>, validated when the host starts.</summary>
    public static IServiceCollection AddKafkaIngestion(this IServiceCollection services, Action<OptionsBuilder<KafkaIngestionOptions>> configure)
    {
        services.AddValidatedOptions<KafkaIngestionOptions, KafkaIngestionOptionsValidator>(configure);
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<KafkaIngestionOptions>>().Value);
        services.AddSingleton(sp => new ReadingDecoder(sp.GetRequiredService<KafkaIngestionOptions>().Limits, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new DeadLetterPublisher(
            sp.GetRequiredService<KafkaIngestionOptions>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<DeadLetterPublisher>>()));
        services.AddSingleton(sp => new SensorRouter(
            sp.GetRequiredService<IGrainFactory>(),
            sp.GetRequiredService<KafkaIngestionOptions>(),
            sp.GetRequiredService<PipelineMetrics>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<SensorRouter>>(),
            sp.GetService<ILocalSiloDetails>()?.SiloAddress));
        // Readings that come in at the edge (HTTP, MQTT) go to the readings topic, and from there to the silos.
        services.AddSingleton<IReadingWriter>(sp => new KafkaReadingWriter(sp.GetRequiredService<KafkaIngestionOptions>()));
        services.AddSingleton(CreateService);
        services.AddHostedService(sp => sp.GetRequiredService<KafkaIngestionService>());
        DecorateSink(services);
        return services;
    }

    /// <summary>Another consumer in the same group, sharing this silo's router (for tests of joining and leaving members).</summary>
    internal static KafkaIngestionService CreateService(IServiceProvider services)
    {
        var service = new KafkaIngestionService(
            services.GetRequiredService<KafkaIngestionOptions>(),
            services.GetRequiredService<ReadingDecoder>(),
            services.GetRequiredService<SensorRouter>(),
            services.GetRequiredService<DeadLetterPublisher>(),
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<ILogger<KafkaIngestionService>>());
        service.PublishLag(services.GetService<System.Diagnostics.Metrics.IMeterFactory>());
        return service;
    }

    /// <summary>
    /// Wraps the sink registered so far; the options decide when it is built whether outputs also go to
    /// Kafka, so options set in code count the same as configuration.
    /// </summary>
    private static void DecorateSink(IServiceCollection services)
    {
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(IPredictionSink));
        if (registered is not null)
        {
            services.Remove(registered);
        }

        services.AddSingleton<IPredictionSink>(sp =>
        {
            var options = sp.GetRequiredService<KafkaIngestionOptions>();
            var outputs = !string.IsNullOrWhiteSpace(options.PredictionsTopic) || !string.IsNullOrWhiteSpace(options.AnomaliesTopic);
            if (registered is null)
            {
                throw new InvalidOperationException(outputs
                    ? "Register the prediction sink before AddKafkaIngestion when Kafka outputs are configured."
                    : "No prediction sink is registered; register one (InfluxDB or the embedded store) before AddKafkaIngestion.");
            }

            var inner = registered.ImplementationInstance as IPredictionSink
                ?? registered.ImplementationFactory?.Invoke(sp) as IPredictionSink
                ?? (IPredictionSink)ActivatorUtilities.CreateInstance(sp, registered.ImplementationType!);
            return outputs ? new KafkaOutputSink(inner, options) : inner;
        });
    }
}
