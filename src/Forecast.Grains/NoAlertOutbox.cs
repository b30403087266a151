using Forecast.Abstractions;

namespace Forecast.Grains;

/// <summary>The outbox of a silo without alert deliveries: events are dropped, the InfluxDB anomaly points stay.</summary>
internal sealed class NoAlertOutbox : IAlertOutbox
{
    public ValueTask EnqueueAsync(IReadOnlyList<AlertEvent> events, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}
