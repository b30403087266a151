using Forecast.Abstractions;

namespace Forecast.Grains;

/// <summary>
/// What one sensor's scored readings raise: its anomaly episode, with an <see cref="Anomaly"/> event when one
/// opens or worsens, and the alert lifecycle behind it (firing, escalated, resolved). Checkpointed with the
/// stream's state.
/// </summary>
internal sealed class SensorAlarms(string sensorId, AlertRuleOptions alertRules)
{
    private AnomalyEpisode _episode = new();

    // Null while there is no alert to remember (most sensors, most of the time).
    private AlertLifecycle? _alert;

    public bool EpisodeOpen => _episode.IsOpen;

    public AnomalyEpisodeState EpisodeState => _episode.ToState();

    public AlertLifecycleState? AlertState => _alert?.ToState();

    public static SensorAlarms From(string sensorId, AlertRuleOptions alertRules, SensorState state) => new(sensorId, alertRules)
    {
        _episode = AnomalyEpisode.From(state.EpisodeOrFlat()),
        _alert = state.Alert is { } alert ? AlertLifecycle.From(alert) : null,
    };

    /// <summary>Feeds a scored reading to the episode and the alert; the events they raise go to <paramref name="output"/>.</summary>
    public void Observe(SensorReading reading, AnomalyScore anomaly, double surprise, ExpectedBand band, string modelId, AnomalyOptions options, StreamOutput output)
    {
        if (_episode.Observe(reading.Timestamp, anomaly, surprise, options) is { } severity)
        {
            output.Anomalies.Add(new Anomaly(
                sensorId, reading.Timestamp, reading.Value, band.Expected, band.Lower, band.Upper, surprise, severity, modelId, _episode.Start));
        }

        if (_episode.IsOpen || _alert is not null)
        {
            _alert ??= new AlertLifecycle();
            var alertReading = new AlertReading(reading.Timestamp, reading.Value, band.Expected, band.Lower, band.Upper, surprise, modelId);
            if (_alert.Observe(sensorId, alertReading, _episode, alertRules) is { } change)
            {
                output.Alerts.Add(change);
            }

            if (_alert.Idle)
            {
                _alert = null;
            }
        }
    }
}

/// <summary>The forecast a reading was judged against and its interval, in the sensor's units.</summary>
internal readonly record struct ExpectedBand(double Expected, double Lower, double Upper);
