using System.Diagnostics.Metrics;
using Forecast.Abstractions;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Forecast.Sinks.InfluxDb;

/// <summary>Registers the InfluxDB prediction sink.</summary>
public static class InfluxDbSinkExtensions
{
    /// <summary>Name of the meter with the sink's counters (points written and rejected, requests, buffered lines).</summary>
    public const string MeterName = ForecastTelemetry.Name;

    /// <summary>
    /// Registers the InfluxDB sink as the <see cref="IPredictionSink"/> (replacing one registered before)
    /// and its <see cref="InfluxDbSinkHealth"/>, configured from the <c>InfluxDb</c> section
    /// (<see cref="InfluxDbSinkOptions"/>) and validated when the host starts. The sink is built with the
    /// first resolution, its writer starts with the first write, and, when the host is disposed, it writes
    /// what it holds before it stops.
    /// </summary>
    /// <param name="builder">The host builder.</param>
    /// <returns>The same builder.</returns>
    public static IHostApplicationBuilder AddInfluxDbSink(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddInfluxDbSink(options => options.Bind(builder.Configuration.GetSection(InfluxDbSinkOptions.SectionName)));
        return builder;
    }

    /// <summary>The same with the options set by <paramref name="configure"/>, validated when the host starts.</summary>
    public static IServiceCollection AddInfluxDbSink(this IServiceCollection services, Action<OptionsBuilder<InfluxDbSinkOptions>> configure)
    {
        services.AddValidatedOptions<InfluxDbSinkOptions, InfluxDbSinkOptionsValidator>(configure);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => InfluxDbSink.Create(
            sp.GetRequiredService<IOptions<InfluxDbSinkOptions>>().Value,
            sp.GetService<ILoggerFactory>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<IMeterFactory>()));
        services.TryAddSingleton(sp => sp.GetRequiredService<InfluxDbSink>().Health);
        services.RemoveAll<IPredictionSink>();
        services.AddSingleton<IPredictionSink>(sp => sp.GetRequiredService<InfluxDbSink>());
        // The dashboard reads a sensor's series back from InfluxDB, not from the silo's short memory.
        services.TryAddSingleton<ISeriesReader>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<InfluxDbSinkOptions>>().Value;
            return new InfluxDbSeriesReader(options, InfluxDbSink.TokenOf(options));
        });
        return services;
    }
}
