namespace Forecast.Ingestion.Kafka.Tests;

public sealed class PartitionWatermarkTests
{
    [Fact]
    public void Committable_IsTheLowestOffsetStillInFlight_WhenLaterOnesFinishFirst()
    {
        var watermark = new PartitionWatermark();
        foreach (var offset in new long[] { 10, 11, 12, 13 })
        {
            watermark.Register(offset);
        }

        watermark.Complete(12);
        watermark.Complete(13);
        Assert.Equal(10, watermark.Committable);
        Assert.Equal(4, watermark.InFlight);

        watermark.Complete(10);
        Assert.Equal(11, watermark.Committable);

        watermark.Complete(11);
        Assert.Equal(14, watermark.Committable);
        Assert.Equal(0, watermark.InFlight);
    }

    [Fact]
    public void Committable_IsNull_BeforeAnythingWasConsumed()
    {
        Assert.Null(new PartitionWatermark().Committable);
    }
}
