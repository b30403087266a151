using System.Net.Http.Json;
using Forecast.Abstractions;

namespace Forecast.Alerting.Deliveries;

/// <summary>PagerDuty Events API v2: trigger (again, on escalation) and resolve, with the alert's fingerprint as <c>dedup_key</c>.</summary>
internal sealed class PagerDutyDelivery(Uri url, string routingKey, AlertText text) : IAlertDelivery
{
    public string Name => "pagerduty";

    public int MaxBatch => 1;

    public HttpRequestMessage CreateRequest(IReadOnlyList<AlertEvent> events, DateTimeOffset now)
    {
        var e = events[0];
        return new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = JsonContent.Create(new
            {
                routing_key = routingKey,
                event_action = e.Kind == AlertEventKind.Resolved ? "resolve" : "trigger",
                dedup_key = e.Fingerprint,
                payload = new
                {
                    summary = AlertText.Summary(e),
                    source = e.SensorId,
                    severity = e.Severity.Label(),
                    timestamp = e.Timestamp,
                    component = e.Model,
                    custom_details = new { e.Value, e.Expected, e.Lower, e.Upper, e.Score, e.Flapping, startsAt = e.StartsAt },
                },
                links = new[] { new { href = text.Link(e), text = "Sensor page" } },
            }, options: AlertJson.Options),
        };
    }
}
