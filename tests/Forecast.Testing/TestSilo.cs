using Forecast.Abstractions;
using Forecast.Sinks.Embedded;
using Forecast.Host.Hosting;

namespace Forecast.Testing;

/// <summary>
/// A silo in the test process, composed exactly as <c>forecast run</c> composes one
/// (<see cref="ForecastHostBuilder"/> + <see cref="SiloExtensions.AddForecastSilo"/>), on free ports.
/// Without further composition it keeps predictions in the embedded store; tests add Kafka ingestion,
/// InfluxDB or decorators through <c>compose</c>, as the host's own verbs do.
/// </summary>
internal sealed class TestSilo : IAsyncDisposable
{
    private readonly IHost _host;

    private TestSilo(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public IGrainFactory Grains => _host.Services.GetRequiredService<IGrainFactory>();

    /// <summary>The embedded store, where the silo was composed with it.</summary>
    public EmbeddedStore Store => _host.Services.GetRequiredService<EmbeddedStore>();

    public ISensorGrain Sensor(string id) => Grains.GetGrain<ISensorGrain>(id);

    /// <summary>
    /// Builds and starts a silo from <paramref name="settings"/> (configuration keys; Orleans ports default
    /// to free ones). <paramref name="compose"/> runs after the silo's own composition; without it, or when
    /// it registers no sink, the embedded store is the sink.
    /// </summary>
    public static async Task<TestSilo> StartAsync(
        IReadOnlyDictionary<string, string?>? settings = null, Action<HostApplicationBuilder>? compose = null)
    {
        var configuration = new Dictionary<string, string?>
        {
            ["Orleans:SiloPort"] = FreePort.NextText(),
            ["Orleans:GatewayPort"] = FreePort.NextText(),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        var builder = ForecastHostBuilder.Create([], configuration);
        builder.AddForecastSilo();
        builder.AddEmbeddedStore();
        compose?.Invoke(builder);
        var host = builder.Build();
        try
        {
            await host.StartAsync();
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return new TestSilo(host);
    }

    /// <summary>Waits until <paramref name="done"/> holds, failing with <paramref name="describe"/> after <paramref name="timeout"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> done, TimeSpan timeout, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!done())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout}: {describe()}");
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
