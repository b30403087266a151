using System.Diagnostics.Metrics;
using Forecast.Abstractions;
using Forecast.Alerting.Silences;

namespace Forecast.Alerting.Outbox;

/// <summary>
/// The silo's outbox: takes the grains' alert events (dropping openings and escalations a silence covers),
/// stores each in every delivery's queue, and runs one worker per delivery. Stopping gives the workers
/// <see cref="OutboxOptions.DrainTimeout"/> to deliver what is queued; the rest stays for the next start.
/// </summary>
internal sealed partial class AlertOutbox(
    IReadOnlyList<DeliveryChannel> channels, SilenceRegistry silences, OutboxOptions options, TimeProvider clock, ILogger<AlertOutbox> logger,
    OutboxAdoption? adoption = null)
    : IAlertOutbox, IHostedService
{
    private static readonly TimeSpan SilenceRefresh = TimeSpan.FromSeconds(5);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _workers = [];
    private long _silenced;

    public IReadOnlyList<DeliveryChannel> Channels => channels;

    public long Silenced => Interlocked.Read(ref _silenced);

    /// <summary>Publishes each delivery's counters as <c>forecast.alerts.*</c> instruments, tagged with the delivery.</summary>
    public void Publish(IMeterFactory? meters)
    {
        if (meters?.Create(ForecastTelemetry.Name) is not { } meter)
        {
            return;
        }

        IEnumerable<Measurement<long>> Each(Func<DeliveryCounters, long> value) =>
            channels.Select(c => new Measurement<long>(value(c.Counters), new KeyValuePair<string, object?>("delivery", c.Name)));
        meter.CreateObservableCounter("forecast.alerts.delivered", () => Each(c => c.Delivered), "{event}", "Alert events the receiver took.");
        meter.CreateObservableCounter("forecast.alerts.retries", () => Each(c => c.Retries), "{attempt}", "Failed delivery attempts that were retried.");
        meter.CreateObservableCounter("forecast.alerts.rejected", () => Each(c => c.Rejected), "{event}", "Alert events the receiver refused for good (4xx).");
        meter.CreateObservableCounter("forecast.alerts.dropped", () => Each(c => c.Dropped), "{event}", "Alert events dropped from a full outbox.");
        meter.CreateObservableGauge("forecast.alerts.pending", () => Each(c => c.Pending), "{event}", "Alert events waiting in the outbox.");
        meter.CreateObservableCounter("forecast.alerts.unstored", () => Each(c => c.Unstored), "{write}", "Outbox writes the store refused (a full disk, Redis down).");
        meter.CreateObservableGauge("forecast.alerts.held", () => Each(c => c.Held), "{write}", "Outbox writes held in memory until the store takes them.");
        meter.CreateObservableCounter("forecast.alerts.silenced", () => Silenced, "{event}", "Openings and escalations a silence held back.");
    }

    public async ValueTask EnqueueAsync(IReadOnlyList<AlertEvent> events, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        foreach (var e in events)
        {
            if (e.Kind != AlertEventKind.Resolved && silences.IsSilenced(e.SensorId, now))
            {
                Interlocked.Increment(ref _silenced);
                LogSilenced(logger, e.Id, e.Kind, e.SensorId);
                continue;
            }

            foreach (var channel in channels)
            {
                await channel.EnqueueAsync(e, cancellationToken);
            }
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await silences.RefreshAsync(cancellationToken);
        foreach (var channel in channels)
        {
            _workers.Add(Task.Run(() => channel.RunAsync(_stopping.Token), CancellationToken.None));
            _workers.Add(channel.KeepStoredAsync(_stopping.Token));
        }

        _workers.Add(RefreshSilencesAsync(_stopping.Token));
        if (adoption is not null)
        {
            _workers.Add(adoption.RunAsync(_stopping.Token));
        }

        LogStarted(logger, string.Join(", ", channels.Select(c => c.Name)), channels.Sum(c => c.Pending));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var drained = await Task.WhenAll(channels.Select(c => c.DrainAsync(options.DrainTimeout)));
        await _stopping.CancelAsync();
        await Task.WhenAll(_workers).WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        if (drained.Contains(false))
        {
            LogUndelivered(logger, channels.Sum(c => c.Pending));
        }
    }

    private async Task RefreshSilencesAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(SilenceRefresh, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                try
                {
                    await silences.RefreshAsync(stopping);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    LogRefreshFailed(logger, exception);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert deliveries on: {Deliveries} ({Pending} undelivered events from before)")]
    private static partial void LogStarted(ILogger logger, string deliveries, int pending);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Alert event {EventId} ({Kind}, sensor {SensorId}) is silenced")]
    private static partial void LogSilenced(ILogger logger, string eventId, AlertEventKind kind, string sensorId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping with {Pending} alert events undelivered; they stay in the outbox and go out at the next start")]
    private static partial void LogUndelivered(ILogger logger, int pending);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading silences failed; the last ones known stay in force")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);
}
