namespace Forecast.Grains.Tests;

public sealed class ReadingRingTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Add_KeepsTheNewest_WhenFull()
    {
        var ring = new ReadingRing(3);
        for (var i = 0; i < 5; i++)
        {
            ring.Add(T0.AddMinutes(i), i);
        }

        Assert.Equal(3, ring.Count);
        Assert.Equal([4f, 3f, 2f], [ring.ValueAt(0), ring.ValueAt(1), ring.ValueAt(2)]);
        Assert.Equal(T0.AddMinutes(2), ring.TimestampAt(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.ValueAt(3));
    }

    [Fact]
    public void MedianInterval_IgnoresAnOddGap()
    {
        var ring = new ReadingRing(8);
        foreach (var minute in new[] { 0, 1, 2, 3, 10, 11 })
        {
            ring.Add(T0.AddMinutes(minute), minute);
        }

        Assert.Equal(TimeSpan.FromMinutes(1), ring.MedianInterval(8));
        Assert.Null(new ReadingRing(4).MedianInterval(4));
    }
}
