using System.Security.Cryptography;
using System.Text;
using Forecast.Abstractions;

namespace Forecast.Grains;

/// <summary>
/// A sensor's alert, driven by its anomaly episode in event time: it opens once the episode has been open
/// for <see cref="AlertRuleOptions.OpenAfter"/>, escalates with the episode, and resolves once the episode
/// has been closed for <see cref="AlertRuleOptions.KeepFiringFor"/>. An alert that opened
/// <see cref="AlertRuleOptions.MaxOpeningsPerHour"/> times in the last hour is not resolved but held open and
/// marked flapping, so an on-call person gets one page for a sensor that keeps crossing the line. Event
/// time, not the wall clock, so a replay after a crash decides the same way and raises the same event ids.
/// </summary>
internal sealed class AlertLifecycle
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private readonly List<DateTimeOffset> _openings = [];
    private DateTimeOffset? _clearedAt;

    public bool Firing { get; private set; }

    public DateTimeOffset StartsAt { get; private set; }

    public AnomalySeverity Severity { get; private set; }

    public bool Flapping { get; private set; }

    /// <summary>Whether there is nothing to remember: not firing, and no opening within the last hour.</summary>
    public bool Idle => !Firing && _openings.Count == 0;

    public static AlertLifecycle From(AlertLifecycleState state)
    {
        var alert = new AlertLifecycle
        {
            Firing = state.Firing,
            StartsAt = state.StartsAt,
            Severity = state.Severity,
            Flapping = state.Flapping,
            _clearedAt = state.ClearedAt,
        };
        alert._openings.AddRange(state.Openings);
        return alert;
    }

    public AlertLifecycleState ToState() => new(Firing, StartsAt, Severity, _clearedAt, Flapping, [.. _openings]);

    /// <summary>Feeds the episode's state after one scored reading; returns the alert's change, if any.</summary>
    public AlertEvent? Observe(string sensorId, AlertReading reading, AnomalyEpisode episode, AlertRuleOptions options)
    {
        var now = reading.Timestamp;
        _openings.RemoveAll(opening => now - opening >= Hour);
        if (episode.IsOpen)
        {
            _clearedAt = null;
            if (!Firing)
            {
                if (now - episode.Start < options.OpenAfter)
                {
                    return null;
                }

                _openings.Add(now);
                (Firing, StartsAt, Severity, Flapping) = (true, episode.Start, episode.Severity, false);
                return Event(AlertEventKind.Opened, sensorId, reading, options);
            }

            if (episode.Severity > Severity)
            {
                Severity = episode.Severity;
                return Event(AlertEventKind.Escalated, sensorId, reading, options);
            }

            return null;
        }

        if (!Firing)
        {
            return null;
        }

        _clearedAt ??= now;
        if (now - _clearedAt < options.KeepFiringFor)
        {
            return null;
        }

        if (options.MaxOpeningsPerHour > 0 && _openings.Count >= options.MaxOpeningsPerHour)
        {
            // Resolving now would let it open once more within the hour: hold it, and say so once.
            if (Flapping)
            {
                return null;
            }

            Flapping = true;
            return Event(AlertEventKind.Escalated, sensorId, reading, options);
        }

        Firing = false;
        var resolved = Event(AlertEventKind.Resolved, sensorId, reading, options);
        Flapping = false;
        return resolved;
    }

    /// <summary>The alert's stable id: rule and sensor, hashed (the same on every silo and after restarts).</summary>
    public static string Fingerprint(string rule, string sensorId) => Hash($"{rule}\n{sensorId}")[..16];

    private AlertEvent Event(AlertEventKind kind, string sensorId, AlertReading reading, AlertRuleOptions options)
    {
        var fingerprint = Fingerprint(options.Rule, sensorId);
        var id = "evt_" + Hash($"{fingerprint}\n{kind}\n{StartsAt.UtcTicks}\n{reading.Timestamp.UtcTicks}\n{Flapping}")[..24];
        return new AlertEvent(
            id, kind, sensorId, fingerprint, Severity, StartsAt, reading.Timestamp,
            reading.Value, reading.Expected, reading.Lower, reading.Upper, reading.Score, reading.Model, Flapping, options.Rule);
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}

/// <summary>The reading an alert change is reported with.</summary>
internal readonly record struct AlertReading(
    DateTimeOffset Timestamp, double Value, double Expected, double Lower, double Upper, double Score, string Model);

/// <summary>An <see cref="AlertLifecycle"/> as a checkpoint holds it.</summary>
/// <param name="Firing">Whether the alert fires.</param>
/// <param name="StartsAt">Event time its condition started.</param>
/// <param name="Severity">Its severity.</param>
/// <param name="ClearedAt">Event time its episode closed, while it keeps firing.</param>
/// <param name="Flapping">Whether it is held open for flapping.</param>
/// <param name="Openings">Event times it opened within the last hour.</param>
[GenerateSerializer, Immutable, Alias("Forecast.AlertLifecycleState")]
internal sealed record AlertLifecycleState(
    [property: Id(0)] bool Firing,
    [property: Id(1)] DateTimeOffset StartsAt,
    [property: Id(2)] AnomalySeverity Severity,
    [property: Id(3)] DateTimeOffset? ClearedAt,
    [property: Id(4)] bool Flapping,
    [property: Id(5)] DateTimeOffset[] Openings);
