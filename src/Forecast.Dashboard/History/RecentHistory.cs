using System.Collections.Concurrent;
using Forecast.Abstractions;

namespace Forecast.Dashboard.History;

/// <summary>
/// The bounded in-memory recent history behind the dashboard: per sensor, the last
/// <see cref="DashboardOptions.HistoryPoints"/> readings with the forecast made for each, and the last anomaly
/// events of the whole silo. Fed with every batch this silo's sink has written (see <see cref="HistoryRecordingSink"/>).
/// </summary>
internal sealed class RecentHistory(DashboardOptions options)
{
    private readonly ConcurrentDictionary<string, SensorHistory> _sensors = new(StringComparer.Ordinal);
    private readonly Anomaly[] _recent = new Anomaly[options.RecentAnomalies];
    private int _recentStart;
    private int _recentCount;
    private long _readings;
    private long _anomalies;

    /// <summary>Raised, on the writing thread, for each anomaly event recorded; handlers must return at once.</summary>
    public event Action<Anomaly>? AnomalyRecorded;

    /// <summary>Readings recorded since the start.</summary>
    public long Readings => Interlocked.Read(ref _readings);

    /// <summary>Anomaly events recorded since the start.</summary>
    public long AnomalyEvents => Interlocked.Read(ref _anomalies);

    /// <summary>Sensors with a history.</summary>
    public int SensorCount => _sensors.Count;

    /// <summary>
    /// Records a batch the sink has written: each reading with the step-1 forecast made for it, the latest
    /// prediction, and the anomaly events, in event-time order per sensor so that episodes are followed correctly.
    /// Predictions pair with readings by position when there is one per reading (as the sensor grains write them).
    /// </summary>
    public void Record(SinkBatch batch)
    {
        var readings = batch.Readings;
        var paired = batch.Predictions.Count == readings.Count;
        for (var start = 0; start < readings.Count;)
        {
            var sensorId = readings[start].SensorId;
            var end = start + 1;
            while (end < readings.Count && string.Equals(readings[end].SensorId, sensorId, StringComparison.Ordinal))
            {
                end++;
            }

            var sensor = Sensor(sensorId);
            lock (sensor)
            {
                var anomaly = NextAnomaly(batch.Anomalies, sensorId, -1);
                for (var i = start; i < end; i++)
                {
                    sensor.Add(readings[i], paired ? batch.Predictions[i] : null);
                    // An anomaly event belongs to the reading at its timestamp: it counts after that reading.
                    while (anomaly >= 0 && (i == end - 1 || batch.Anomalies[anomaly].Timestamp < readings[i + 1].Timestamp))
                    {
                        sensor.AddAnomaly(batch.Anomalies[anomaly]);
                        anomaly = NextAnomaly(batch.Anomalies, sensorId, anomaly);
                    }
                }
            }

            Interlocked.Add(ref _readings, end - start);
            start = end;
        }

        if (!paired)
        {
            foreach (var prediction in batch.Predictions)
            {
                var sensor = Sensor(prediction.SensorId);
                lock (sensor)
                {
                    sensor.Hold(prediction);
                }
            }
        }

        if (batch.Anomalies.Count > 0)
        {
            RecordAnomalies(batch, readings);
        }
    }

    /// <summary>The history of <paramref name="sensorId"/>, or null when this silo has written nothing for it.</summary>
    public SensorHistory? Find(string sensorId) => _sensors.TryGetValue(sensorId, out var sensor) ? sensor : null;

    /// <summary>
    /// Sensors whose id contains <paramref name="query"/> (ignoring case; all when empty), in id order, at most
    /// <paramref name="limit"/>; <paramref name="matched"/> counts all that match.
    /// </summary>
    public IReadOnlyList<SensorSummary> Sensors(string? query, int limit, out int matched)
    {
        var ids = new List<string>();
        foreach (var id in _sensors.Keys)
        {
            if (string.IsNullOrEmpty(query) || id.Contains(query, StringComparison.OrdinalIgnoreCase))
            {
                ids.Add(id);
            }
        }

        matched = ids.Count;
        ids.Sort(StringComparer.Ordinal);
        var result = new List<SensorSummary>(Math.Min(limit, ids.Count));
        foreach (var id in ids.Take(limit))
        {
            result.Add(_sensors[id].Summary());
        }

        return result;
    }

    /// <summary>The latest anomaly events, newest first, at or after <paramref name="from"/> and of <paramref name="severity"/> when given.</summary>
    public IReadOnlyList<Anomaly> Anomalies(DateTimeOffset? from, AnomalySeverity? severity, int limit)
    {
        var result = new List<Anomaly>(Math.Min(limit, 256));
        lock (_recent)
        {
            for (var i = _recentCount - 1; i >= 0 && result.Count < limit; i--)
            {
                var anomaly = _recent[(_recentStart + i) % _recent.Length];
                if ((from is null || anomaly.Timestamp >= from) && (severity is null || anomaly.Severity == severity))
                {
                    result.Add(anomaly);
                }
            }
        }

        return result;
    }

    /// <summary>Open episodes by severity and sensors by model, over every sensor (a pass over the fleet, no copies).</summary>
    public FleetCounts Counts()
    {
        int warning = 0, critical = 0;
        var models = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var sensor in _sensors.Values)
        {
            var (model, open) = sensor.State();
            warning += open == AnomalySeverity.Warning ? 1 : 0;
            critical += open == AnomalySeverity.Critical ? 1 : 0;
            if (model is not null)
            {
                models[model] = models.GetValueOrDefault(model) + 1;
            }
        }

        return new FleetCounts(_sensors.Count, warning, critical, models);
    }

    private SensorHistory Sensor(string sensorId) =>
        _sensors.TryGetValue(sensorId, out var sensor)
            ? sensor
            : _sensors.GetOrAdd(sensorId, id => new SensorHistory(id, options.HistoryPoints, options.AnomaliesPerSensor, options.EpisodeQuietReadings));

    private static int NextAnomaly(IReadOnlyList<Anomaly> anomalies, string sensorId, int after)
    {
        for (var i = after + 1; i < anomalies.Count; i++)
        {
            if (string.Equals(anomalies[i].SensorId, sensorId, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    private void RecordAnomalies(SinkBatch batch, IReadOnlyList<SensorReading> readings)
    {
        // Anomalies of sensors without a reading in this batch (not the grains' way, but a sink may be handed such).
        foreach (var anomaly in batch.Anomalies)
        {
            if (!readings.Any(r => string.Equals(r.SensorId, anomaly.SensorId, StringComparison.Ordinal)))
            {
                var sensor = Sensor(anomaly.SensorId);
                lock (sensor)
                {
                    sensor.AddAnomaly(anomaly);
                }
            }
        }

        lock (_recent)
        {
            foreach (var anomaly in batch.Anomalies)
            {
                _recent[(_recentStart + _recentCount) % _recent.Length] = anomaly;
                if (_recentCount < _recent.Length)
                {
                    _recentCount++;
                }
                else
                {
                    _recentStart = (_recentStart + 1) % _recent.Length;
                }
            }
        }

        Interlocked.Add(ref _anomalies, batch.Anomalies.Count);
        if (AnomalyRecorded is { } handler)
        {
            foreach (var anomaly in batch.Anomalies)
            {
                handler(anomaly);
            }
        }
    }
}

/// <summary>The fleet's counts at one moment.</summary>
internal sealed record FleetCounts(int Sensors, int OpenWarning, int OpenCritical, IReadOnlyDictionary<string, int> Models);
