using Forecast.Diagnostics;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Forecast.Ingestion;

/// <summary>Registers the embedded way to make edge readings durable.</summary>
public static class ReadingWriterExtensions
{
    /// <summary>Edge readings go straight to their sensors' grains (no Kafka); kept when a writer is already registered.</summary>
    public static IServiceCollection AddGrainReadingWriter(this IServiceCollection services)
    {
        services.TryAddSingleton<PipelineMetrics>();
        services.TryAddSingleton<IReadingWriter>(sp => new GrainReadingWriter(sp.GetRequiredService<IGrainFactory>(), sp.GetRequiredService<PipelineMetrics>()));
        return services;
    }
}
