using System.Globalization;
using System.Net.Mime;
using System.Text;
using System.Text.Json;
using Forecast.Abstractions;

namespace Forecast.Alerting.Deliveries;

/// <summary>
/// A Standard Webhooks receiver: one event per request, <c>{"type", "timestamp", "data"}</c>, signed; the
/// <c>webhook-id</c> is the event's id, the same on every retry.
/// </summary>
internal sealed class WebhookDelivery(Uri url, byte[] key, AlertText text) : IAlertDelivery
{
    public string Name => "webhook";

    public int MaxBatch => 1;

    public HttpRequestMessage CreateRequest(IReadOnlyList<AlertEvent> events, DateTimeOffset now)
    {
        var e = events[0];
        var body = JsonSerializer.Serialize(Body(e, text), AlertJson.Options);
        var timestamp = now.ToUnixTimeSeconds();
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, MediaTypeNames.Application.Json) };
        request.Headers.Add("webhook-id", e.Id);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", WebhookSignature.Sign(key, e.Id, timestamp, body));
        return request;
    }

    /// <summary>The event as the webhook body (also the documented schema).</summary>
    public static object Body(AlertEvent e, AlertText text) => new
    {
        type = AlertText.Type(e.Kind),
        timestamp = e.Timestamp,
        data = new
        {
            id = e.Id,
            fingerprint = e.Fingerprint,
            sensor = e.SensorId,
            severity = e.Severity.Label(),
            startsAt = e.StartsAt,
            value = e.Value,
            expected = e.Expected,
            lower = e.Lower,
            upper = e.Upper,
            score = e.Score,
            model = e.Model,
            flapping = e.Flapping,
            summary = AlertText.Summary(e),
            link = text.Link(e),
        },
    };
}

/// <summary>JSON as every delivery writes it: camelCase, non-finite numbers as strings never arise (values are finite).</summary>
internal static class AlertJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// A value read back from the store, or null when it is not one (a torn write, a hand edit): a bad entry is
    /// skipped, never a reason for the outbox, and so the readings that feed it, to stop.
    /// </summary>
    public static T? Read<T>(string json)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
