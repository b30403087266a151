using Forecast.Abstractions;

namespace Forecast.Ingestion;

/// <summary>
/// Where the edge (HTTP, MQTT) hands readings: when <see cref="WriteAsync"/> completes they are durable, so the
/// device may be told so. With Kafka that means acknowledged by the readings topic (the silos consume it);
/// without it, applied by each sensor's grain, whose prediction is then durable in the sink.
/// </summary>
internal interface IReadingWriter
{
    /// <summary>Makes <paramref name="readings"/> durable, in order per sensor; throws when it cannot.</summary>
    Task WriteAsync(IReadOnlyList<SensorReading> readings, CancellationToken cancellationToken);
}
