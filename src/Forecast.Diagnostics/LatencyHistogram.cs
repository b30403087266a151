namespace Forecast.Diagnostics;

/// <summary>
/// A lock-free latency histogram in microseconds: exact below 1 ms, then 64 sub-buckets per power
/// of two (under 2% relative error), up to about 10 minutes.
/// </summary>
public sealed class LatencyHistogram
{
    private const int Linear = 1024;
    private const int SubBuckets = 64;
    private const int Octaves = 20;
    private readonly long[] _counts = new long[Linear + (Octaves * SubBuckets)];
    private long _total;

    /// <summary>Values recorded.</summary>
    public long Count => Interlocked.Read(ref _total);

    /// <summary>Records one latency.</summary>
    public void Record(TimeSpan latency)
    {
        var micros = (long)Math.Max(0, latency.TotalMicroseconds);
        Interlocked.Increment(ref _counts[Index(micros)]);
        Interlocked.Increment(ref _total);
    }

    /// <summary>The latency below which <paramref name="quantile"/> of the recorded values fall, in milliseconds.</summary>
    public double PercentileMs(double quantile)
    {
        var total = Count;
        if (total == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(quantile * total);
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += Interlocked.Read(ref _counts[i]);
            if (seen >= rank)
            {
                return UpperBoundMicros(i) / 1000.0;
            }
        }

        return UpperBoundMicros(_counts.Length - 1) / 1000.0;
    }

    /// <summary>Forgets every recorded value.</summary>
    public void Reset()
    {
        Array.Clear(_counts);
        Interlocked.Exchange(ref _total, 0);
    }

    private static int Index(long micros)
    {
        if (micros < Linear)
        {
            return (int)micros;
        }

        var octave = (int)Math.Min(63 - long.LeadingZeroCount(micros) - 10, Octaves - 1);
        var sub = (int)Math.Min((micros >> octave) - Linear, Linear - 1) * SubBuckets / Linear;
        return Linear + (octave * SubBuckets) + sub;
    }

    private static double UpperBoundMicros(int index)
    {
        if (index < Linear)
        {
            return index + 1;
        }

        var octave = (index - Linear) / SubBuckets;
        var sub = (index - Linear) % SubBuckets;
        return (Linear + ((sub + 1) * (Linear / SubBuckets))) * Math.Pow(2, octave);
    }
}
