namespace Forecast.Ingestion.Http;

/// <summary>HTTP ingest on the silo (section <c>Edge</c>): <c>POST /api/v2/write</c> and <c>POST /readings</c>.</summary>
public sealed class HttpIngestionOptions
{
    /// <summary>Configuration section: <c>Edge</c>.</summary>
    public const string SectionName = "Edge";

    /// <summary>
    /// A file of API keys, one per line: <c>KEY</c>, or <c>KEY PREFIX</c> to limit the key to sensor ids starting
    /// with PREFIX; <c>#</c> starts a comment. Unset: anyone who reaches the port may write (a warning at start).
    /// </summary>
    public string? ApiKeyFile { get; set; }

    /// <summary>The largest request body accepted, after gzip decompression; larger gets 413.</summary>
    public int MaxBodyBytes { get; set; } = 16 << 20;

    /// <summary>Readings held at most before they are durable; a request past it gets 429 with <c>Retry-After</c>.</summary>
    public int MaxInFlight { get; set; } = 100_000;

    /// <summary>What 429 and 503 answers put in <c>Retry-After</c>.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How far ahead of this machine's clock a timestamp may be.</summary>
    public TimeSpan MaxFuture { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How far behind this machine's clock a timestamp may be.</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(3650);

    internal ReadingLimits Limits => new(MaxBodyBytes, MaxFuture, MaxAge);
}
