using System.Text.Json;
using Forecast.Alerting.Deliveries;
using Forecast.Alerting.Outbox;

namespace Forecast.Alerting.Silences;

/// <summary>
/// The cluster's silences, kept in the alert store (so they survive a restart, and in Redis every silo sees
/// them) and cached here, refreshed every few seconds; expired ones are removed.
/// </summary>
internal sealed class SilenceRegistry(IAlertStore store, TimeProvider clock)
{
    public const string Collection = "silences";
    public const int MaxSensorLength = 512;
    private volatile IReadOnlyList<Silence> _silences = [];

    public IReadOnlyList<Silence> All => _silences;

    public bool IsSilenced(string sensorId, DateTimeOffset now)
    {
        foreach (var silence in _silences)
        {
            if (silence.ActiveAt(now) && silence.Matches(sensorId))
            {
                return true;
            }
        }

        return false;
    }

    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        var silences = new List<Silence>();
        foreach (var (id, json) in await store.ReadAsync(Collection, cancellationToken))
        {
            var silence = AlertJson.Read<Silence>(json);
            if (silence is null || silence.EndsAt <= now)
            {
                await store.DeleteAsync(Collection, id, cancellationToken);
            }
            else
            {
                silences.Add(silence);
            }
        }

        _silences = [.. silences.OrderBy(s => s.StartsAt)];
    }

    /// <summary>Checks and stores a new silence; the error says what is wrong with the request.</summary>
    public async Task<(Silence? Silence, string? Error)> AddAsync(SilenceRequest request, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        var startsAt = request.StartsAt ?? now;
        if (string.IsNullOrWhiteSpace(request.Sensor) || request.Sensor.Length > MaxSensorLength)
        {
            return (null, $"'sensor' must name a sensor id or glob (such as pump-7/* or *), at most {MaxSensorLength} characters.");
        }

        if (request.EndsAt is not null && request.Duration is not null)
        {
            return (null, "Give 'endsAt' or 'duration', not both.");
        }

        if (request.Duration is { } d && d <= TimeSpan.Zero)
        {
            return (null, "'duration' must be above zero, such as 02:00:00.");
        }

        var endsAt = request.EndsAt ?? (request.Duration is { } duration ? startsAt + duration : (DateTimeOffset?)null);
        if (endsAt is null)
        {
            return (null, "Give 'endsAt' (ISO 8601) or 'duration' (such as 02:00:00): a silence must end.");
        }

        if (endsAt <= startsAt || endsAt <= now)
        {
            return (null, $"The silence must end after it starts and after now (startsAt {startsAt:O}, endsAt {endsAt:O}).");
        }

        if (request.Comment?.Length > 1000)
        {
            return (null, "'comment' is at most 1,000 characters.");
        }

        var silence = new Silence(Guid.NewGuid().ToString("N"), request.Sensor.Trim(), startsAt, endsAt.Value, request.Comment, now);
        await store.PutAsync(Collection, silence.Id, JsonSerializer.Serialize(silence, AlertJson.Options), cancellationToken);
        await RefreshAsync(cancellationToken);
        return (silence, null);
    }

    public async Task<bool> RemoveAsync(string id, CancellationToken cancellationToken = default)
    {
        var known = _silences.Any(s => s.Id == id) || (await store.ReadAsync(Collection, cancellationToken)).ContainsKey(id);
        if (known)
        {
            await store.DeleteAsync(Collection, id, cancellationToken);
            await RefreshAsync(cancellationToken);
        }

        return known;
    }
}
