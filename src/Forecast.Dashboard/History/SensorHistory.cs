using Forecast.Abstractions;

namespace Forecast.Dashboard.History;

/// <summary>
/// The recent history of one sensor: a ring of <see cref="SeriesPoint"/>s, a small ring of its anomaly events, its
/// latest prediction and whether an anomaly episode looks open. Writers and readers lock the instance; writes
/// allocate nothing once the ring has grown to its capacity (it starts small, so a sensor with a few readings
/// costs little).
/// </summary>
internal sealed class SensorHistory(string id, int capacity, int anomalyCapacity, int quietReadings)
{
    private const int InitialCapacity = 32;

    private SeriesPoint[] _points = new SeriesPoint[Math.Min(capacity, InitialCapacity)];
    private int _start;
    private int _count;
    private Anomaly[]? _anomalies;
    private int _anomalyStart;
    private int _anomalyCount;

    // The step-1 forecast of the latest prediction: what the next reading is scored against.
    private float _nextMean = float.NaN;
    private float _nextLower = float.NaN;
    private float _nextUpper = float.NaN;
    private Prediction? _latest;
    private AnomalySeverity? _openSeverity;
    private int _quiet;

    public string Id => id;

    /// <summary>Appends <paramref name="reading"/> with the forecast held for it, then holds <paramref name="prediction"/> (issued after it) for the next one. Call under the lock.</summary>
    public void Add(SensorReading reading, Prediction? prediction)
    {
        var point = new SeriesPoint(reading.Timestamp.ToUnixTimeMilliseconds(), (float)reading.Value, _nextMean, _nextLower, _nextUpper);
        Append(point);
        if (_openSeverity is not null)
        {
            _quiet = point.InBand ? _quiet + 1 : 0;
            if (_quiet >= quietReadings)
            {
                _openSeverity = null;
            }
        }

        if (prediction is not null)
        {
            Hold(prediction);
        }
    }

    /// <summary>Holds <paramref name="prediction"/> as the latest (predictions that came without their reading). Call under the lock.</summary>
    public void Hold(Prediction prediction)
    {
        _latest = prediction;
        if (prediction.Steps.Count > 0)
        {
            var step = prediction.Steps[0];
            (_nextMean, _nextLower, _nextUpper) = ((float)step.Mean, (float)step.Lower, (float)step.Upper);
        }
    }

    /// <summary>Records an anomaly event (an episode opened or escalated). Call under the lock.</summary>
    public void AddAnomaly(Anomaly anomaly)
    {
        _anomalies ??= new Anomaly[anomalyCapacity];
        var index = (_anomalyStart + _anomalyCount) % _anomalies.Length;
        _anomalies[index] = anomaly;
        if (_anomalyCount < _anomalies.Length)
        {
            _anomalyCount++;
        }
        else
        {
            _anomalyStart = (_anomalyStart + 1) % _anomalies.Length;
        }

        _openSeverity = anomaly.Severity;
        _quiet = 0;
    }

    /// <summary>What the sensor list shows.</summary>
    public SensorSummary Summary()
    {
        lock (this)
        {
            var last = _count > 0 ? _points[(_start + _count - 1) % _points.Length] : (SeriesPoint?)null;
            return new SensorSummary(
                id,
                last?.TimeMs,
                last?.Value,
                _latest,
                _openSeverity,
                _anomalyCount > 0 ? _anomalies![(_anomalyStart + _anomalyCount - 1) % _anomalies.Length] : null,
                _latest?.Model,
                _count);
        }
    }

    /// <summary>The model of the latest prediction and the severity of an open episode, for the fleet's counts.</summary>
    public (string? Model, AnomalySeverity? Open) State()
    {
        lock (this)
        {
            return (_latest?.Model, _openSeverity);
        }
    }

    /// <summary>
    /// The points with <c>fromMs &lt;= time &lt;= toMs</c>, oldest first, at most <paramref name="max"/> (the newest
    /// ones, with <c>truncated</c> set), and the anomaly events of that range.
    /// </summary>
    public SeriesSnapshot Series(long fromMs, long toMs, int max)
    {
        lock (this)
        {
            var selected = new List<SeriesPoint>(Math.Min(_count, max));
            var truncated = false;
            // Newest first, so the cap keeps the newest points.
            for (var i = _count - 1; i >= 0; i--)
            {
                var point = _points[(_start + i) % _points.Length];
                if (point.TimeMs < fromMs || point.TimeMs > toMs)
                {
                    continue;
                }

                if (selected.Count == max)
                {
                    truncated = true;
                    break;
                }

                selected.Add(point);
            }

            selected.Reverse();
            // Readings arrive in event-time order from the grain; a source that interleaves may not, and charts need order.
            if (!IsOrdered(selected))
            {
                selected.Sort(static (a, b) => a.TimeMs.CompareTo(b.TimeMs));
            }

            var anomalies = AnomaliesNewestFirst()
                .Where(a => a.Timestamp.ToUnixTimeMilliseconds() is var t && t >= fromMs && t <= toMs)
                .Reverse()
                .ToList();
            return new SeriesSnapshot(id, selected, truncated, anomalies, AnomaliesNewestFirst().ToList(), _latest, _openSeverity);
        }
    }

    private IEnumerable<Anomaly> AnomaliesNewestFirst()
    {
        for (var i = _anomalyCount - 1; i >= 0; i--)
        {
            yield return _anomalies![(_anomalyStart + i) % _anomalies.Length];
        }
    }

    private static bool IsOrdered(List<SeriesPoint> points)
    {
        for (var i = 1; i < points.Count; i++)
        {
            if (points[i].TimeMs < points[i - 1].TimeMs)
            {
                return false;
            }
        }

        return true;
    }

    private void Append(SeriesPoint point)
    {
        if (_count < _points.Length)
        {
            _points[(_start + _count) % _points.Length] = point;
            _count++;
            return;
        }

        if (_points.Length < capacity)
        {
            // Not yet wrapped while growing: _start is 0 and the points are in order.
            Array.Resize(ref _points, Math.Min(capacity, _points.Length * 2));
            _points[_count++] = point;
            return;
        }

        _points[_start] = point;
        _start = (_start + 1) % _points.Length;
    }
}

/// <summary>One sensor as the sensor list shows it.</summary>
internal sealed record SensorSummary(
    string Id,
    long? LastTimeMs,
    float? LastValue,
    Prediction? Latest,
    AnomalySeverity? OpenEpisode,
    Anomaly? LastAnomaly,
    string? Model,
    int Points);

/// <summary>A sensor's points and anomalies in a time range, copied out under its lock.</summary>
internal sealed record SeriesSnapshot(
    string Id,
    IReadOnlyList<SeriesPoint> Points,
    bool Truncated,
    IReadOnlyList<Anomaly> Anomalies,
    IReadOnlyList<Anomaly> RecentAnomaliesNewestFirst,
    Prediction? Latest,
    AnomalySeverity? OpenEpisode);
