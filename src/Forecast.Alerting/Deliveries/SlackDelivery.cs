using System.Net.Http.Json;
using Forecast.Abstractions;

namespace Forecast.Alerting.Deliveries;

/// <summary>A Slack incoming webhook: one message per event, a text fallback and a section block.</summary>
internal sealed class SlackDelivery(Uri url, AlertText text) : IAlertDelivery
{
    public string Name => "slack";

    public int MaxBatch => 1;

    public HttpRequestMessage CreateRequest(IReadOnlyList<AlertEvent> events, DateTimeOffset now)
    {
        var e = events[0];
        var icon = e.Kind == AlertEventKind.Resolved ? ":white_check_mark:" : e.Severity == AnomalySeverity.Critical ? ":red_circle:" : ":warning:";
        var line = AlertText.Summary(e);
        return new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = JsonContent.Create(new
            {
                text = line,
                blocks = new object[]
                {
                    new { type = "section", text = new { type = "mrkdwn", text = $"{icon} *{AlertText.Type(e.Kind)}* <{text.Link(e)}|{e.SensorId}>\n{line}" } },
                    new { type = "context", elements = new[] { new { type = "mrkdwn", text = $"model {e.Model} · since {e.StartsAt:u} · alert {e.Fingerprint}" } } },
                },
            }, options: AlertJson.Options),
        };
    }
}
