using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Forecast.Abstractions;
using Forecast.Dashboard.History;

namespace Forecast.Dashboard.Api;

/// <summary>
/// The live feed behind <c>/api/events</c>: a <c>fleet</c> event with the <see cref="FleetSummary"/> every
/// <see cref="DashboardOptions.FeedInterval"/>, and an <c>anomaly</c> event for each anomaly as it is written.
/// Each subscriber has a small buffer that drops its oldest events when the client reads too slowly, so a slow
/// browser never holds up a sink write. Subscriptions end when the host stops.
/// </summary>
internal sealed partial class DashboardFeed : BackgroundService
{
    private const int SubscriberBuffer = 256;
    private readonly FleetMonitor _fleet;
    private readonly DashboardOptions _options;
    private readonly TimeProvider _clock;
    private readonly IHostApplicationLifetime? _lifetime;
    private readonly ILogger<DashboardFeed> _logger;
    private readonly Lock _gate = new();
    private Channel<SseItem<string>>[] _subscribers = [];
    private SseItem<string>? _lastFleet;

    public DashboardFeed(
        RecentHistory history, FleetMonitor fleet, IOptions<DashboardOptions> options, TimeProvider clock,
        ILogger<DashboardFeed> logger, IHostApplicationLifetime? lifetime = null)
    {
        (_fleet, _options, _clock, _lifetime, _logger) = (fleet, options.Value, clock, lifetime, logger);
        history.AnomalyRecorded += Publish;
    }

    /// <summary>Subscribers connected now.</summary>
    public int Subscribers => Volatile.Read(ref _subscribers).Length;

    /// <summary>
    /// The events for one client, starting with the latest fleet summary, until <paramref name="cancellationToken"/>
    /// (the request) ends or the host stops.
    /// </summary>
    public async IAsyncEnumerable<SseItem<string>> SubscribeAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<SseItem<string>>(new BoundedChannelOptions(SubscriberBuffer)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        using var stop = _lifetime is null
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken)
            : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.ApplicationStopping);
        lock (_gate)
        {
            _subscribers = [.. _subscribers, channel];
        }

        try
        {
            yield return _lastFleet ?? Fleet(await _fleet.SummaryAsync(stop.Token));
            while (await WaitAsync(channel.Reader, stop.Token))
            {
                while (channel.Reader.TryRead(out var item))
                {
                    yield return item;
                }
            }
        }
        finally
        {
            lock (_gate)
            {
                _subscribers = [.. _subscribers.Where(c => c != channel)];
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.FeedInterval, _clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (Subscribers == 0)
                {
                    // Still sampled, so readings/s spans its whole window when someone asks.
                    _fleet.SampleRate();
                    _lastFleet = null;
                    continue;
                }

                try
                {
                    var item = Fleet(await _fleet.SummaryAsync(stoppingToken));
                    _lastFleet = item;
                    Broadcast(item);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    LogSummaryFailed(_logger, exception);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void Publish(Anomaly anomaly)
    {
        if (Subscribers == 0)
        {
            return;
        }

        Broadcast(new SseItem<string>(JsonSerializer.Serialize(AnomalyView.From(anomaly), DashboardJson.Options), "anomaly"));
    }

    private void Broadcast(SseItem<string> item)
    {
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            subscriber.Writer.TryWrite(item);
        }
    }

    private static SseItem<string> Fleet(FleetSummary summary) =>
        new(JsonSerializer.Serialize(summary, DashboardJson.Options), "fleet") { ReconnectionInterval = TimeSpan.FromSeconds(2) };

    private static async ValueTask<bool> WaitAsync(ChannelReader<SseItem<string>> reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.WaitToReadAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dashboard: the fleet summary for the live feed failed; the next interval tries again")]
    private static partial void LogSummaryFailed(ILogger logger, Exception exception);
}
