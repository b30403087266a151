namespace Forecast.Abstractions;

/// <summary>
/// The read side of a durable sink (InfluxDB): a sensor's readings, one-step-ahead forecasts and anomalies
/// over a time range, for the dashboard's sensor view. Without one, the dashboard shows what its silo wrote recently.
/// </summary>
public interface ISeriesReader
{
    /// <summary>Where the series come from, as the API reports it (<c>influxdb</c>).</summary>
    string Source { get; }

    /// <summary>
    /// The most recent <paramref name="maxPoints"/> points of <paramref name="sensorId"/> in [<paramref name="from"/>,
    /// <paramref name="to"/>], oldest first, with the anomalies of the range; throws when the store cannot be read.
    /// </summary>
    Task<StoredSeries> ReadAsync(string sensorId, DateTimeOffset from, DateTimeOffset to, int maxPoints, CancellationToken cancellationToken = default);
}

/// <summary>A sensor's stored series; <paramref name="Truncated"/> when the range held more than was asked for.</summary>
public sealed record StoredSeries(IReadOnlyList<StoredPoint> Points, IReadOnlyList<Anomaly> Anomalies, bool Truncated);

/// <summary>One moment of a stored series: the reading (if mirrored) and the one-step-ahead forecast made for it.</summary>
public sealed record StoredPoint(DateTimeOffset Time, double? Value, double? Mean, double? Lower, double? Upper);
