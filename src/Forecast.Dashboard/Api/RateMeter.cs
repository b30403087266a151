namespace Forecast.Dashboard.Api;

/// <summary>The rate of a growing count over the last <c>window</c>, from samples of it (readings/s).</summary>
internal sealed class RateMeter(TimeProvider clock, TimeSpan window)
{
    private readonly Queue<(long Timestamp, long Total)> _samples = new();

    /// <summary>Takes a sample of <paramref name="total"/> now and returns the rate per second over the window.</summary>
    public double Observe(long total)
    {
        var now = clock.GetTimestamp();
        lock (_samples)
        {
            _samples.Enqueue((now, total));
            // Keep one sample at or beyond the window's start, so the rate spans the whole window once it can.
            while (_samples.Count > 2 && clock.GetElapsedTime(ElementAt(1).Timestamp, now) >= window)
            {
                _samples.Dequeue();
            }

            var (firstTime, firstTotal) = _samples.Peek();
            var seconds = clock.GetElapsedTime(firstTime, now).TotalSeconds;
            return seconds <= 0 ? 0 : Math.Max(0, total - firstTotal) / seconds;
        }
    }

    private (long Timestamp, long Total) ElementAt(int index) => _samples.ElementAt(index);
}
