using Forecast.Abstractions;
using Forecast.Diagnostics;
using Forecast.Host.Simulation;

namespace Forecast.Host.Hosting;

/// <summary>Registers the built-in simulator as the silo's source of readings (<c>forecast run</c> without Kafka).</summary>
internal static class SimulatorExtensions
{
    public static IHostApplicationBuilder AddSimulator(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<SimulatorOptions, SimulatorOptionsValidator>(
            options => options.Bind(builder.Configuration.GetSection(SimulatorOptions.SectionName)));
        builder.Services.AddSingleton(sp => new ReadingDriver(
            sp.GetRequiredService<IGrainFactory>(),
            sp.GetRequiredService<PipelineMetrics>(),
            sp.GetRequiredService<IOptions<SimulatorOptions>>().Value.MaxInFlight));
        builder.Services.AddSingleton<SimulatorService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SimulatorService>());
        return builder;
    }
}
