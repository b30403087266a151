using Forecast.Abstractions;

namespace Forecast.Ingestion.Mqtt;

/// <summary>Registers MQTT ingest in a silo.</summary>
public static class MqttIngestionExtensions
{
    /// <summary>MQTT ingest bound to the <c>Mqtt</c> section; it needs an <see cref="IReadingWriter"/> (Kafka or the grains).</summary>
    public static IHostApplicationBuilder AddMqttIngestion(this IHostApplicationBuilder builder)
    {
        builder.Services.AddMqttIngestion(o => o.Bind(builder.Configuration.GetSection(MqttIngestionOptions.SectionName)));
        return builder;
    }

    /// <summary>The same with options set by <paramref name="configure"/>.</summary>
    public static IServiceCollection AddMqttIngestion(this IServiceCollection services, Action<OptionsBuilder<MqttIngestionOptions>> configure)
    {
        services.AddValidatedOptions<MqttIngestionOptions, MqttIngestionOptionsValidator>(configure);
        services.AddSingleton(sp => new MqttIngestionService(
            sp.GetRequiredService<IOptions<MqttIngestionOptions>>().Value,
            sp.GetService<IReadingWriter>() ?? throw new InvalidOperationException(
                "MQTT ingest needs somewhere durable for readings: register Kafka's reading writer or the grains' (AddGrainReadingWriter)."),
            sp.GetService<TimeProvider>() ?? TimeProvider.System,
            sp.GetRequiredService<ILogger<MqttIngestionService>>()));
        services.AddHostedService(sp => sp.GetRequiredService<MqttIngestionService>());
        return services;
    }
}
