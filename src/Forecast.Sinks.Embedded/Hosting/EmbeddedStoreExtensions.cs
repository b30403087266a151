using Forecast.Abstractions;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Forecast.Sinks.Embedded;

/// <summary>Registers the in-memory store, the prediction sink of a pipeline without InfluxDB.</summary>
public static class EmbeddedStoreExtensions
{
    /// <summary>The <see cref="EmbeddedStore"/> as the <see cref="IPredictionSink"/> (replacing one registered before).</summary>
    public static IHostApplicationBuilder AddEmbeddedStore(this IHostApplicationBuilder builder)
    {
        builder.Services.AddEmbeddedStore();
        return builder;
    }

    /// <summary>The same on <paramref name="services"/>.</summary>
    public static IServiceCollection AddEmbeddedStore(this IServiceCollection services)
    {
        services.TryAddSingleton<EmbeddedStore>();
        services.RemoveAll<IPredictionSink>();
        services.AddSingleton<IPredictionSink>(sp => sp.GetRequiredService<EmbeddedStore>());
        return services;
    }
}
