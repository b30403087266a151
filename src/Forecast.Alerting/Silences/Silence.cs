using System.Text.RegularExpressions;
using Forecast.Abstractions;

namespace Forecast.Alerting.Silences;

/// <summary>
/// A silence or maintenance window: alerts of sensors matching <see cref="Sensor"/> (a glob: <c>*</c> any
/// run of characters, <c>?</c> one) do not open or escalate between <see cref="StartsAt"/> and
/// <see cref="EndsAt"/> (wall-clock time). Resolutions still go out, so nothing opened before stays firing.
/// </summary>
public sealed record Silence(string Id, string Sensor, DateTimeOffset StartsAt, DateTimeOffset EndsAt, string? Comment, DateTimeOffset CreatedAt)
{
    private Regex? _pattern;

    /// <summary>Whether the glob matches the whole of <paramref name="sensorId"/>.</summary>
    public bool Matches(string sensorId) => (_pattern ??= SensorGlob.Parse(Sensor)).IsMatch(sensorId);

    /// <summary>Whether the silence is in force at <paramref name="now"/>.</summary>
    public bool ActiveAt(DateTimeOffset now) => StartsAt <= now && now < EndsAt;
}

/// <summary>What <c>POST /silences</c> takes.</summary>
/// <param name="Sensor">Sensor id or glob, such as <c>pump-7/*</c>.</param>
/// <param name="StartsAt">Start; default now.</param>
/// <param name="EndsAt">End; or give <paramref name="Duration"/>.</param>
/// <param name="Duration">Length from the start, such as <c>02:00:00</c>.</param>
/// <param name="Comment">Why, for the next person on call.</param>
public sealed record SilenceRequest(string? Sensor, DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, TimeSpan? Duration, string? Comment);
