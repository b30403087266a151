using Microsoft.Extensions.Time.Testing;

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

    [Fact]
    public async Task WaitDrained_ReturnsWhenTheLastOffsetInFlightCompletes()
    {
        var clock = new FakeTimeProvider();
        var (first, second) = (new PartitionWatermark(), new PartitionWatermark());
        first.Register(1);
        first.Register(2);
        second.Register(7);

        var wait = Task.Run(() => PartitionWatermark.WaitDrained([first, second, new PartitionWatermark()], TimeSpan.FromSeconds(30), clock));
        first.Complete(2);
        second.Complete(7);
        clock.Advance(TimeSpan.FromSeconds(29));
        await Task.Delay(50);
        Assert.False(wait.IsCompleted);

        first.Complete(1);
        Assert.True(await wait.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task WaitDrained_GivesUpWhenTheTimeoutHasPassedOnTheClock()
    {
        var clock = new FakeTimeProvider();
        var watermark = new PartitionWatermark();
        watermark.Register(1);

        var wait = Task.Run(() => PartitionWatermark.WaitDrained([watermark], TimeSpan.FromSeconds(30), clock));
        var advanced = TimeSpan.Zero;
        while (!wait.IsCompleted)
        {
            Assert.True(advanced < TimeSpan.FromMinutes(1), "still waiting after a minute on the clock");
            await Task.Delay(5);
            clock.Advance(TimeSpan.FromSeconds(1));
            advanced += TimeSpan.FromSeconds(1);
        }

        Assert.False(await wait);
        Assert.True(advanced >= TimeSpan.FromSeconds(30), $"gave up after {advanced} on the clock");
        Assert.Equal(1, watermark.InFlight);
    }

    [Fact]
    public void WaitDrained_ReturnsAtOnce_WhenNothingIsInFlight()
    {
        var watermark = new PartitionWatermark();
        watermark.Register(3);
        watermark.Complete(3);

        Assert.True(PartitionWatermark.WaitDrained([watermark], TimeSpan.Zero, new FakeTimeProvider()));
    }
}
