using System.Diagnostics;
using Forecast.Abstractions;

namespace Forecast.Ingestion.Kafka;

/// <summary>
/// A consumed message whose readings are still being processed; done when the last one is. It carries the
/// trace its producer started (a W3C <c>traceparent</c> header), when there was one and spans are listened to.
/// </summary>
internal sealed class PendingMessage(PartitionWatermark watermark, long offset, int readings, DateTimeOffset producedAt, ActivityContext trace = default)
{
    private int _remaining = readings;

    public DateTimeOffset ProducedAt => producedAt;

    public ActivityContext Trace => trace;

    /// <summary>Marks one of its readings durably processed; the last one releases the offset.</summary>
    public void CompleteOne()
    {
        if (Interlocked.Decrement(ref _remaining) == 0)
        {
            watermark.Complete(offset);
        }
    }

    /// <summary>Releases the offset of a message without readings (it was dead-lettered).</summary>
    public static void Complete(PartitionWatermark watermark, long offset) => watermark.Complete(offset);
}

/// <summary>One reading on its way to its grain, with the message it came in.</summary>
internal readonly record struct PendingReading(SensorReading Reading, PendingMessage Message);
