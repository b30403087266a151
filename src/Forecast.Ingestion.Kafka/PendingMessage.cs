using Forecast.Abstractions;

namespace Forecast.Ingestion.Kafka;

/// <summary>A consumed message whose readings are still being processed; done when the last one is.</summary>
internal sealed class PendingMessage(PartitionWatermark watermark, long offset, int readings, DateTimeOffset producedAt)
{
    private int _remaining = readings;

    public DateTimeOffset ProducedAt => producedAt;

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
