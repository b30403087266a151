using Forecast.Abstractions;

namespace Forecast.Dashboard;

/// <summary>Checks <see cref="DashboardOptions"/> at start; each message names the key and its range.</summary>
internal sealed class DashboardOptionsValidator : OptionsValidator<DashboardOptions>
{
    protected override IEnumerable<string> Failures(DashboardOptions o)
    {
        if (o.HistoryPoints is < 10 or > 100_000)
        {
            yield return $"Dashboard:HistoryPoints must be from 10 to 100,000 (default 600), not {o.HistoryPoints}.";
        }

        if (o.AnomaliesPerSensor is < 1 or > 10_000)
        {
            yield return $"Dashboard:AnomaliesPerSensor must be from 1 to 10,000 (default 32), not {o.AnomaliesPerSensor}.";
        }

        if (o.RecentAnomalies is < 10 or > 1_000_000)
        {
            yield return $"Dashboard:RecentAnomalies must be from 10 to 1,000,000 (default 2,000), not {o.RecentAnomalies}.";
        }

        if (o.MaxSeriesPoints is < 100 or > 1_000_000)
        {
            yield return $"Dashboard:MaxSeriesPoints must be from 100 to 1,000,000 (default 5,000), not {o.MaxSeriesPoints}.";
        }

        if (o.EpisodeQuietReadings is < 1 or > 10_000)
        {
            yield return $"Dashboard:EpisodeQuietReadings must be from 1 to 10,000 (default 5), not {o.EpisodeQuietReadings}.";
        }

        if (o.FeedInterval < TimeSpan.FromMilliseconds(100) || o.FeedInterval > TimeSpan.FromMinutes(1))
        {
            yield return $"Dashboard:FeedInterval must be from 00:00:00.1 to 00:01:00 (default 00:00:01), not {o.FeedInterval}.";
        }
    }
}
