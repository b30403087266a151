using Forecast.Abstractions;

namespace Forecast.Alerting.Deliveries;

/// <summary>One receiver kind: how a batch of alert events becomes an HTTP request.</summary>
internal interface IAlertDelivery
{
    /// <summary>Name in logs, counters and the outbox (<c>webhook</c>, <c>alertmanager</c>, ...).</summary>
    string Name { get; }

    /// <summary>Events sent in one request at most.</summary>
    int MaxBatch { get; }

    /// <summary>A new request for one attempt (a retry builds it again: signatures carry the attempt's time).</summary>
    HttpRequestMessage CreateRequest(IReadOnlyList<AlertEvent> events, DateTimeOffset now);
}

/// <summary>A receiver that must be told again, periodically, what is still firing (Alertmanager).</summary>
internal interface IResendingDelivery : IAlertDelivery
{
    TimeSpan ResendInterval { get; }

    /// <summary>Loads what was firing when the silo stopped.</summary>
    Task LoadAsync(CancellationToken cancellationToken);

    /// <summary>Notes what the receiver now knows.</summary>
    Task DeliveredAsync(IReadOnlyList<AlertEvent> events, CancellationToken cancellationToken);

    /// <summary>The periodic request with every firing alert; null when none fires.</summary>
    HttpRequestMessage? CreateResend(DateTimeOffset now);
}

/// <summary>Words and links shared by the deliveries.</summary>
internal sealed class AlertText(string? externalUrl)
{
    private readonly string _base = (externalUrl ?? "http://127.0.0.1:8080").TrimEnd('/');

    /// <summary>The sensor's page on the dashboard: its readings, the forecast band and the anomaly marked.</summary>
    public string Link(AlertEvent e) => $"{_base}/#/sensor/{Uri.EscapeDataString(e.SensorId)}";

    public static string Type(AlertEventKind kind) => kind switch
    {
        AlertEventKind.Opened => "anomaly.opened",
        AlertEventKind.Escalated => "anomaly.escalated",
        _ => "anomaly.resolved",
    };

    /// <summary>One line for people: what the sensor read against what was expected.</summary>
    public static string Summary(AlertEvent e) => e.Kind switch
    {
        AlertEventKind.Resolved => $"{e.SensorId} is back to normal: read {e.Value:G6}, expected {e.Lower:G6} to {e.Upper:G6}",
        _ when e.Flapping => $"{e.SensorId} keeps going in and out of anomaly: held open as flapping (last read {e.Value:G6}, expected {e.Lower:G6} to {e.Upper:G6})",
        _ => $"{e.SensorId} {e.Severity.Label()} anomaly: read {e.Value:G6}, expected {e.Expected:G6} ({e.Lower:G6} to {e.Upper:G6}), surprise {e.Score:F1}",
    };

}
