using System.Net.Http.Json;
using System.Text.Json;
using Forecast.Abstractions;
using Forecast.Alerting.Outbox;

namespace Forecast.Alerting.Deliveries;

/// <summary>
/// Prometheus Alertmanager v2 (<c>POST /api/v2/alerts</c>), the way Prometheus itself talks to it: a firing
/// alert is sent again every <see cref="ResendInterval"/> with <c>endsAt</c> four intervals ahead, and a
/// resolved one once with <c>endsAt</c> now. Labels are <c>alertname</c>, <c>sensor</c>, <c>severity</c> and
/// <c>model</c>; an escalation resolves the warning alert and fires the critical one, since Alertmanager tells
/// alerts apart by their labels. What fires is kept in the store, so a restarted silo keeps resending it.
/// </summary>
internal sealed class AlertmanagerDelivery(Uri url, TimeSpan resendInterval, AlertText text, IAlertStore store, string collection)
    : IResendingDelivery
{
    private readonly Uri _endpoint = new(url, "api/v2/alerts");
    private readonly Dictionary<string, AlertEvent> _firing = [];

    public string Name => "alertmanager";

    public int MaxBatch => 64;

    public TimeSpan ResendInterval => resendInterval;

    public int Firing => _firing.Count;

    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        foreach (var (fingerprint, json) in await store.ReadAsync(collection, cancellationToken))
        {
            if (AlertJson.Read<AlertEvent>(json) is { } firing)
            {
                _firing[fingerprint] = firing;
            }
        }
    }

    public HttpRequestMessage CreateRequest(IReadOnlyList<AlertEvent> events, DateTimeOffset now)
    {
        var alerts = new List<object>(events.Count + 1);
        foreach (var e in events)
        {
            if (!_firing.TryGetValue(e.Fingerprint, out var before))
            {
                alerts.Add(Alert(e, now, e.Kind == AlertEventKind.Resolved ? now : now + (4 * resendInterval)));
                continue;
            }

            // Alertmanager knows the alert by the labels it fired with: keep them (a new model may have come since).
            var known = e with { Model = before.Model };
            if (e.Kind == AlertEventKind.Resolved)
            {
                alerts.Add(Alert(known with { Severity = before.Severity }, now, now));
                continue;
            }

            if (e.Severity != before.Severity)
            {
                alerts.Add(Alert(before, now, endsAt: now));
            }

            alerts.Add(Alert(known, now, now + (4 * resendInterval)));
        }

        return Post(alerts);
    }

    public async Task DeliveredAsync(IReadOnlyList<AlertEvent> events, CancellationToken cancellationToken)
    {
        foreach (var e in events)
        {
            if (e.Kind == AlertEventKind.Resolved)
            {
                _firing.Remove(e.Fingerprint);
                await store.DeleteAsync(collection, e.Fingerprint, cancellationToken);
            }
            else
            {
                _firing[e.Fingerprint] = _firing.TryGetValue(e.Fingerprint, out var before) ? e with { Model = before.Model } : e;
                await store.PutAsync(collection, e.Fingerprint, JsonSerializer.Serialize(e, AlertJson.Options), cancellationToken);
            }
        }
    }

    public HttpRequestMessage? CreateResend(DateTimeOffset now) =>
        _firing.Count == 0 ? null : Post([.. _firing.Values.Select(e => Alert(e, now, now + (4 * resendInterval)))]);

    private HttpRequestMessage Post(List<object> alerts) =>
        new(HttpMethod.Post, _endpoint) { Content = JsonContent.Create(alerts, options: AlertJson.Options) };

    private object Alert(AlertEvent e, DateTimeOffset now, DateTimeOffset endsAt) => new
    {
        labels = new Dictionary<string, string>
        {
            ["alertname"] = e.Rule,
            ["sensor"] = e.SensorId,
            ["severity"] = e.Severity.Label(),
            ["model"] = e.Model,
        },
        annotations = new Dictionary<string, string>
        {
            ["summary"] = AlertText.Summary(e),
            ["value"] = e.Value.ToString("G6", System.Globalization.CultureInfo.InvariantCulture),
            ["expected"] = e.Expected.ToString("G6", System.Globalization.CultureInfo.InvariantCulture),
            ["band"] = FormattableString.Invariant($"{e.Lower:G6} to {e.Upper:G6}"),
            ["score"] = e.Score.ToString("F2", System.Globalization.CultureInfo.InvariantCulture),
            ["flapping"] = e.Flapping ? "true" : "false",
            ["link"] = text.Link(e),
        },
        // Event time ahead of this clock (a sensor's clock running fast) would keep a resolved alert active.
        startsAt = e.StartsAt < now ? e.StartsAt : now,
        endsAt,
        generatorURL = text.Link(e),
    };
}
