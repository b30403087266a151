using Forecast.Abstractions;
using Forecast.Dashboard.Api;
using Forecast.Dashboard.History;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Forecast.Dashboard;

/// <summary>Registers the dashboard (recent history, query API, live feed, web assets); map it with <see cref="MapDashboard"/>.</summary>
public static class DashboardExtensions
{
    /// <summary>
    /// The dashboard bound to the <c>Dashboard</c> section (<see cref="DashboardOptions"/>). It wraps the
    /// <see cref="IPredictionSink"/> registered so far (InfluxDB or the embedded store), so call it after the sink's
    /// registration: every batch the sink writes is then kept in a bounded per-sensor history in memory.
    /// <see cref="DashboardOptions.EpisodeQuietReadings"/> defaults to <c>Anomaly:CloseAfter</c> when that is set.
    /// </summary>
    public static IHostApplicationBuilder AddDashboard(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(DashboardOptions.SectionName);
        var closeAfter = builder.Configuration.GetValue<int?>("Anomaly:CloseAfter");
        builder.Services.AddDashboard(options =>
        {
            if (closeAfter is { } quiet)
            {
                options.Configure(o => o.EpisodeQuietReadings = quiet);
            }

            options.Bind(section);
        });
        return builder;
    }

    /// <summary>The same with the options set by <paramref name="configure"/> (tests).</summary>
    public static IServiceCollection AddDashboard(this IServiceCollection services, Action<OptionsBuilder<DashboardOptions>>? configure = null)
    {
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(IPredictionSink) && !d.IsKeyedService)
            ?? throw new InvalidOperationException(
                "No prediction sink is registered: register one (the embedded store or InfluxDB) before AddDashboard, which records what it writes.");
        services.AddValidatedOptions<DashboardOptions, DashboardOptionsValidator>(configure);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new RecentHistory(sp.GetRequiredService<IOptions<DashboardOptions>>().Value));
        services.TryAddSingleton<SiloDirectory>();
        services.TryAddSingleton<FleetMonitor>();
        services.TryAddSingleton<DashboardFeed>();
        services.TryAddSingleton<DashboardAssets>();
        services.AddHostedService(sp => sp.GetRequiredService<DashboardFeed>());

        services.Remove(registered);
        services.AddSingleton<IPredictionSink>(sp =>
        {
            var owned = registered.ImplementationInstance is null && registered.ImplementationFactory is null;
            var inner = registered.ImplementationInstance as IPredictionSink
                ?? registered.ImplementationFactory?.Invoke(sp) as IPredictionSink
                ?? (IPredictionSink)ActivatorUtilities.CreateInstance(sp, registered.ImplementationType!);
            return new HistoryRecordingSink(
                inner, sp.GetRequiredService<RecentHistory>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("Forecast.Dashboard"), owned);
        });
        return services;
    }

    /// <summary>
    /// The dashboard at <c>/</c> (with its files under <c>/assets/</c>) and the query API: <c>GET /api/sensors?query=&amp;limit=</c>,
    /// <c>GET /api/sensors/{id}/series?from=&amp;to=</c>, <c>GET /api/sensors/{id}</c>, <c>GET /api/anomalies?from=&amp;severity=&amp;limit=</c>,
    /// <c>GET /api/fleet</c>, and the live feed <c>GET /api/events</c> (server-sent events). Needs <see cref="AddDashboard(IHostApplicationBuilder)"/>.
    /// </summary>
    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        if (app.ServiceProvider.GetService<RecentHistory>() is null)
        {
            throw new InvalidOperationException("MapDashboard needs the dashboard's services: call AddDashboard when building the host.");
        }

        DashboardEndpoints.Map(app);
        return app;
    }
}
