namespace Forecast.Ingestion;

/// <summary>The unit of line protocol timestamps, as InfluxDB's <c>precision</c> parameter names it.</summary>
internal enum TimestampPrecision
{
    Nanoseconds,
    Microseconds,
    Milliseconds,
    Seconds,
}

internal static class TimestampPrecisions
{
    /// <summary><c>ns</c>, <c>us</c>, <c>ms</c> or <c>s</c> (empty means <c>ns</c>), as InfluxDB's write API takes them.</summary>
    public static bool TryParse(string? text, out TimestampPrecision precision)
    {
        (var known, precision) = text switch
        {
            null or "" or "ns" or "n" => (true, TimestampPrecision.Nanoseconds),
            "us" or "u" => (true, TimestampPrecision.Microseconds),
            "ms" => (true, TimestampPrecision.Milliseconds),
            "s" => (true, TimestampPrecision.Seconds),
            _ => (false, TimestampPrecision.Nanoseconds),
        };
        return known;
    }

    /// <summary>The instant <paramref name="value"/> units of <paramref name="precision"/> after the Unix epoch.</summary>
    public static DateTimeOffset FromUnix(long value, TimestampPrecision precision) => precision switch
    {
        TimestampPrecision.Nanoseconds => DateTimeOffset.UnixEpoch.AddTicks(value / 100),
        TimestampPrecision.Microseconds => DateTimeOffset.UnixEpoch.AddTicks(checked(value * 10)),
        TimestampPrecision.Milliseconds => DateTimeOffset.UnixEpoch.AddTicks(checked(value * TimeSpan.TicksPerMillisecond)),
        _ => DateTimeOffset.UnixEpoch.AddTicks(checked(value * TimeSpan.TicksPerSecond)),
    };
}
