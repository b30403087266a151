using Forecast.Alerting.Outbox;
using Forecast.Alerting.Silences;

namespace Forecast.Alerting.Tests;

/// <summary>A silo's alerting part on its own: options, store, outbox and silences, started like the host starts them.</summary>
internal sealed class Harness : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private Harness(ServiceProvider services) => _services = services;

    public AlertOutbox Outbox => _services.GetRequiredService<AlertOutbox>();

    public SilenceRegistry Silences => _services.GetRequiredService<SilenceRegistry>();

    public DeliveryChannel Channel(string name) => Outbox.Channels.Single(c => c.Name == name);

    /// <summary>Starts the outbox with <paramref name="configure"/> on top of fast retries and <paramref name="directory"/>, logging to <paramref name="logs"/>.</summary>
    public static async Task<Harness> StartAsync(string directory, Action<AlertingOptions> configure, LogLines? logs = null)
    {
        var services = new ServiceCollection().AddLogging(b =>
        {
            if (logs is not null)
            {
                b.AddProvider(logs);
            }
        }).AddAlerting(o => o.Configure(options =>
        {
            options.Outbox.Directory = directory;
            options.Outbox.RetryDelay = TimeSpan.FromMilliseconds(20);
            options.Outbox.MaxRetryDelay = TimeSpan.FromMilliseconds(200);
            options.Outbox.DrainTimeout = TimeSpan.Zero;
            configure(options);
        })).BuildServiceProvider();
        var harness = new Harness(services);
        await harness.Outbox.StartAsync(CancellationToken.None);
        return harness;
    }

    public async ValueTask DisposeAsync()
    {
        await Outbox.StopAsync(CancellationToken.None);
        if (_services.GetService<IAlertStore>() is IDisposable store)
        {
            store.Dispose();
        }

        await _services.DisposeAsync();
    }
}

/// <summary>Alert events as a sensor's grain raises them.</summary>
internal static class Events
{
    private static readonly DateTimeOffset Start = DateTimeOffset.UtcNow.AddMinutes(-30);

    public static AlertEvent Of(AlertEventKind kind, string sensor, int minute, AnomalySeverity severity = AnomalySeverity.Warning) => new(
        $"evt_{sensor.Replace('/', '_')}_{kind}_{minute}",
        kind,
        sensor,
        $"fp-{sensor.Replace('/', '_')}",
        severity,
        Start,
        Start.AddMinutes(minute),
        42.5,
        20,
        18,
        22,
        7.5,
        "lstm-default@2",
        Flapping: false,
        Rule: "ForecastAnomaly");

    /// <summary>Waits until <paramref name="done"/> holds, failing with <paramref name="what"/> after <paramref name="seconds"/>.</summary>
    public static async Task UntilAsync(Func<bool> done, string what, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out after {seconds} s waiting for: {what}");
            await Task.Delay(20);
        }
    }
}
