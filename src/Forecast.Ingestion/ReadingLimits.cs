namespace Forecast.Ingestion;

/// <summary>What one message (a Kafka value, an HTTP body, an MQTT payload) may hold, whichever way it came in.</summary>
/// <param name="MaxMessageBytes">The largest payload accepted, in bytes.</param>
/// <param name="MaxFuture">How far ahead of this machine's clock a timestamp may be.</param>
/// <param name="MaxAge">How far behind this machine's clock a timestamp may be.</param>
internal sealed record ReadingLimits(int MaxMessageBytes, TimeSpan MaxFuture, TimeSpan MaxAge)
{
    /// <summary>The defaults of every entry point: 1 MiB, an hour ahead, ten years back.</summary>
    public static ReadingLimits Default { get; } = new(1 << 20, TimeSpan.FromHours(1), TimeSpan.FromDays(3650));
}
