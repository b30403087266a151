using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Forecast.Grains;

/// <summary>Registers what the sensor grains need besides the ports.</summary>
public static class GrainsExtensions
{
    /// <summary>Binds <see cref="AnomalyOptions"/> and <see cref="SensorOptions"/> from the <c>Anomaly</c> and <c>Sensors</c> configuration sections.</summary>
    public static IHostApplicationBuilder AddSensorGrains(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AnomalyOptions>()
            .Bind(builder.Configuration.GetSection(AnomalyOptions.SectionName))
            .Validate(o => o.CloseScore < o.OpenScore && o.OpenScore <= o.CriticalScore,
                "Anomaly thresholds must satisfy CloseScore < OpenScore <= CriticalScore (defaults 3, 5, 10).")
            .Validate(o => o.CloseAfter >= 1 && o.MinResiduals >= 1,
                "Anomaly:CloseAfter and Anomaly:MinResiduals must be at least 1.")
            .Validate(o => o.ResidualWeight is > 0 and <= 1,
                "Anomaly:ResidualWeight must be in (0, 1]; 0.02 weighs about the last 50 residuals.")
            .Validate(o => o.DriftReadings >= 0 && o.DriftScore >= 1,
                "Anomaly:DriftReadings must be at least 0 (0: never refit; default 12) and Anomaly:DriftScore at least 1 (default 4).")
            .ValidateOnStart();
        builder.Services.AddOptions<SensorOptions>()
            .Bind(builder.Configuration.GetSection(SensorOptions.SectionName))
            .Validate(o => o.CheckpointReadings >= 1, "Sensors:CheckpointReadings must be at least 1 (default 100).")
            .Validate(o => o.CheckpointInterval >= TimeSpan.FromSeconds(1),
                "Sensors:CheckpointInterval must be at least 00:00:01 (default 00:00:30).")
            .ValidateOnStart();
        return builder;
    }
}
