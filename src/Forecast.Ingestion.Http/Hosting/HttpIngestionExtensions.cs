using Forecast.Abstractions;

namespace Forecast.Ingestion.Http;

/// <summary>Registers HTTP ingest; map its endpoints with <see cref="HttpIngestionEndpoints.MapHttpIngestion"/>.</summary>
public static partial class HttpIngestionExtensions
{
    /// <summary>HTTP ingest bound to the <c>Edge</c> section; it needs an <see cref="IReadingWriter"/> (Kafka or the grains).</summary>
    public static IHostApplicationBuilder AddHttpIngestion(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHttpIngestion(o => o.Bind(builder.Configuration.GetSection(HttpIngestionOptions.SectionName)));
        return builder;
    }

    /// <summary>The same with options set by <paramref name="configure"/>.</summary>
    public static IServiceCollection AddHttpIngestion(this IServiceCollection services, Action<OptionsBuilder<HttpIngestionOptions>> configure)
    {
        services.AddValidatedOptions<HttpIngestionOptions, HttpIngestionOptionsValidator>(configure);
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<HttpIngestionOptions>>().Value);
        services.AddSingleton(sp => ApiKeys.Load(sp.GetRequiredService<HttpIngestionOptions>().ApiKeyFile));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<HttpIngestionOptions>();
            var clock = sp.GetService<TimeProvider>() ?? TimeProvider.System;
            return new HttpIngestion(
                options,
                sp.GetRequiredService<ApiKeys>(),
                new ReadingDecoder(options.Limits, clock),
                new InFlightGate(options.MaxInFlight),
                sp.GetService<IReadingWriter>() ?? throw new InvalidOperationException(
                    "HTTP ingest needs somewhere durable for readings: register Kafka's reading writer or the grains' (AddGrainReadingWriter)."),
                clock,
                sp.GetRequiredService<ILogger<HttpIngestion>>());
        });
        // Built at start, so a bad key file or a missing writer stops the silo instead of the first request.
        services.AddHostedService<StartupCheck>();
        return services;
    }

    private sealed partial class StartupCheck(HttpIngestion ingestion, ApiKeys keys, HttpIngestionOptions options, ILogger<HttpIngestion> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            _ = ingestion;
            if (keys.Open)
            {
                LogOpen(logger);
            }
            else
            {
                LogKeys(logger, keys.Count, options.ApiKeyFile!);
            }

            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        [LoggerMessage(Level = LogLevel.Warning, Message = "HTTP ingest (POST /api/v2/write, /readings) takes no API key: anyone who reaches the port may write readings; set Edge:ApiKeyFile")]
        private static partial void LogOpen(ILogger logger);

        [LoggerMessage(Level = LogLevel.Information, Message = "HTTP ingest (POST /api/v2/write, /readings) with {Keys} API keys from {File}")]
        private static partial void LogKeys(ILogger logger, int keys, string file);
    }
}
