using Forecast.Dashboard.History;

namespace Forecast.Dashboard.Api;

/// <summary>Builds the <see cref="FleetSummary"/>: the history's counts, readings/s over the last 5 s, and the silos.</summary>
internal sealed class FleetMonitor(RecentHistory history, SiloDirectory silos, TimeProvider clock)
{
    private readonly RateMeter _rate = new(clock, TimeSpan.FromSeconds(5));

    /// <summary>Samples the readings count (the feed calls this every interval, so the rate always has a window).</summary>
    public double SampleRate() => _rate.Observe(history.Readings);

    public async ValueTask<FleetSummary> SummaryAsync(CancellationToken cancellationToken)
    {
        var rate = SampleRate();
        var counts = history.Counts();
        return new FleetSummary(
            clock.GetUtcNow(),
            counts.Sensors,
            Math.Round(rate, 1),
            history.Readings,
            history.AnomalyEvents,
            new OpenAnomaliesView(counts.OpenWarning, counts.OpenCritical),
            await silos.GetAsync(cancellationToken),
            [.. counts.Models.OrderByDescending(m => m.Value).ThenBy(m => m.Key, StringComparer.Ordinal).Select(m => new ModelView(m.Key, m.Value))]);
    }
}
