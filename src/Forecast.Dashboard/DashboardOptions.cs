namespace Forecast.Dashboard;

/// <summary>
/// What the dashboard keeps in memory: the recent history of every sensor this silo writes for, bound to the
/// <c>Dashboard</c> section. Memory is about <see cref="HistoryPoints"/> × 24 bytes per sensor (600 points:
/// 14 KB, so 10,000 sensors take about 140 MB).
/// </summary>
public sealed class DashboardOptions
{
    /// <summary>The configuration section: <c>Dashboard</c>.</summary>
    public const string SectionName = "Dashboard";

    /// <summary>Readings (each with the one-step-ahead forecast made for it) kept per sensor; default 600, from 10 to 100,000.</summary>
    public int HistoryPoints { get; set; } = 600;

    /// <summary>Anomaly events kept per sensor for its episode list; default 32, from 1 to 10,000.</summary>
    public int AnomaliesPerSensor { get; set; } = 32;

    /// <summary>Anomaly events kept for the whole silo (the anomalies view); default 2,000, from 10 to 1,000,000.</summary>
    public int RecentAnomalies { get; set; } = 2_000;

    /// <summary>Most points one series request returns (the newest ones in its range); default 5,000, from 100 to 1,000,000.</summary>
    public int MaxSeriesPoints { get; set; } = 5_000;

    /// <summary>
    /// Readings in a row inside their forecast band after which an open anomaly episode is shown as closed; default 5
    /// (the same as <c>Anomaly:CloseAfter</c> unless set here), from 1 to 10,000. Anomaly events say when an episode
    /// opens or escalates, not when it closes, so the dashboard infers the close.
    /// </summary>
    public int EpisodeQuietReadings { get; set; } = 5;

    /// <summary>How often the live feed (<c>/api/events</c>) sends the fleet summary; default 1 s, from 100 ms to 1 min.</summary>
    public TimeSpan FeedInterval { get; set; } = TimeSpan.FromSeconds(1);
}
