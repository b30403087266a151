namespace Forecast.Abstractions;

/// <summary>What happened to a sensor's alert.</summary>
public enum AlertEventKind
{
    /// <summary>The alert started firing.</summary>
    Opened = 1,

    /// <summary>A firing alert became critical, or was marked flapping.</summary>
    Escalated = 2,

    /// <summary>The alert stopped firing.</summary>
    Resolved = 3,
}

/// <summary>
/// One change of a sensor's alert, as the sensor's grain decides it (see <c>AlertLifecycle</c>) and the
/// silo's outbox delivers it. The id is derived from the alert and the change, so a grain that replays
/// readings after a crash raises the same event with the same id, which receivers can de-duplicate.
/// </summary>
/// <param name="Id">Stable event id (<c>webhook-id</c>).</param>
/// <param name="Kind">Opened, escalated or resolved.</param>
/// <param name="SensorId">The sensor.</param>
/// <param name="Fingerprint">Stable id of the alert: sensor and rule (PagerDuty's <c>dedup_key</c>).</param>
/// <param name="Severity">The alert's severity after this change.</param>
/// <param name="StartsAt">Event time the alert's condition started.</param>
/// <param name="Timestamp">Event time of the reading that caused this change.</param>
/// <param name="Value">That reading's value.</param>
/// <param name="Expected">The forecast for it.</param>
/// <param name="Lower">Lower bound of the forecast interval.</param>
/// <param name="Upper">Upper bound of the forecast interval.</param>
/// <param name="Score">Its surprise: absolute residual over the sensor's residual scale.</param>
/// <param name="Model">The model whose forecast was used, as <c>name@version</c>.</param>
/// <param name="Flapping">Whether the alert opened too often in the last hour and is held open.</param>
/// <param name="Rule">The alert's rule: Alertmanager's <c>alertname</c>.</param>
public sealed record AlertEvent(
    string Id,
    AlertEventKind Kind,
    string SensorId,
    string Fingerprint,
    AnomalySeverity Severity,
    DateTimeOffset StartsAt,
    DateTimeOffset Timestamp,
    double Value,
    double Expected,
    double Lower,
    double Upper,
    double Score,
    string Model,
    bool Flapping,
    string Rule);

/// <summary>Where a silo's grains hand their alert events: the durable outbox of the configured deliveries.</summary>
public interface IAlertOutbox
{
    /// <summary>
    /// Stores <paramref name="events"/> durably for every delivery that is on, in order; never waits for a
    /// receiver (a full outbox drops its oldest resolved events first, and counts them).
    /// </summary>
    ValueTask EnqueueAsync(IReadOnlyList<AlertEvent> events, CancellationToken cancellationToken = default);
}
