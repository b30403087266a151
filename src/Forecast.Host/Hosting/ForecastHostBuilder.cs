namespace Forecast.Host.Hosting;

/// <summary>
/// The application builder every verb starts from: configuration (verb defaults, then the environment, then
/// the command line's <c>--Section:Key value</c> pairs) and quiet logs.
/// </summary>
internal static class ForecastHostBuilder
{
    public static HostApplicationBuilder Create(string[] options, IDictionary<string, string?>? defaults = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = AppContext.BaseDirectory,
        });
        Configure(builder, options, defaults);
        return builder;
    }

    /// <summary>The same for a web application: <c>forecast run</c> also serves its health endpoints.</summary>
    public static WebApplicationBuilder CreateWeb(string[] options, IDictionary<string, string?>? defaults = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        Configure(builder, options, defaults);
        return builder;
    }

    private static void Configure(IHostApplicationBuilder builder, string[] options, IDictionary<string, string?>? defaults)
    {
        if (defaults is not null)
        {
            // Verb defaults sit below the command line and the environment.
            builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = defaults! });
        }

        builder.Configuration.AddCommandLine(options);
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        // Orleans and its dependencies log every placement at Information; keep the console for our own lines.
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Forecast", LogLevel.Information);
    }
}
