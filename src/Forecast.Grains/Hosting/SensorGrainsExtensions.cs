using Forecast.Abstractions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Forecast.Grains;

/// <summary>Registers what the sensor grains need besides the ports (<c>IForecaster</c>, <c>IPredictionSink</c>) and grain storage.</summary>
public static class SensorGrainsExtensions
{
    /// <summary>
    /// Binds <see cref="AnomalyOptions"/>, <see cref="SensorOptions"/> and <see cref="AlertRuleOptions"/> from the
    /// <c>Anomaly</c>, <c>Sensors</c> and <c>Alerts</c> configuration sections, validated when the host starts.
    /// </summary>
    public static IHostApplicationBuilder AddSensorGrains(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSensorGrains(builder.Configuration);
        return builder;
    }

    /// <summary>The same from <paramref name="configuration"/>'s <c>Anomaly</c> and <c>Sensors</c> sections.</summary>
    public static IServiceCollection AddSensorGrains(this IServiceCollection services, IConfiguration configuration) =>
        services.AddSensorGrains(
            anomaly => anomaly.Bind(configuration.GetSection(AnomalyOptions.SectionName)),
            sensors => sensors.Bind(configuration.GetSection(SensorOptions.SectionName)),
            alerts => alerts.Bind(configuration.GetSection(AlertRuleOptions.SectionName)));

    /// <summary>The same with options set in code (tests); both are validated when the host starts.</summary>
    public static IServiceCollection AddSensorGrains(
        this IServiceCollection services,
        Action<OptionsBuilder<AnomalyOptions>>? configureAnomaly = null,
        Action<OptionsBuilder<SensorOptions>>? configureSensors = null,
        Action<OptionsBuilder<AlertRuleOptions>>? configureAlerts = null)
    {
        services.AddValidatedOptions<AnomalyOptions, AnomalyOptionsValidator>(configureAnomaly);
        services.AddValidatedOptions<SensorOptions, SensorOptionsValidator>(configureSensors);
        services.AddValidatedOptions<AlertRuleOptions, AlertRuleOptionsValidator>(configureAlerts);
        services.TryAddSingleton<CheckpointClock>();
        services.AddHostedService(sp => sp.GetRequiredService<CheckpointClock>());
        // Without a delivery configured, alert events have nowhere to go (Forecast.Alerting replaces this).
        services.TryAddSingleton<IAlertOutbox, NoAlertOutbox>();
        // Without a model registry, every sensor is served the silo's one model (Forecast.Models replaces these).
        services.TryAddSingleton<IModelRouter>(sp => new SingleModelRouter(sp.GetRequiredService<IForecaster>()));
        services.TryAddSingleton<IModelAccuracy, NoModelAccuracy>();
        return services;
    }
}
