namespace Forecast.Sinks.InfluxDb;

/// <summary>Which InfluxDB write API the sink speaks.</summary>
public enum InfluxDbVersion
{
    /// <summary>
    /// The 1.x HTTP API: <c>POST /write?db=&amp;rp=&amp;precision=ns</c>, sent by the sink's own HTTP client.
    /// Authenticates with <see cref="InfluxDbSinkOptions.Username"/>/<see cref="InfluxDbSinkOptions.Password"/>
    /// (basic authentication) or <see cref="InfluxDbSinkOptions.Token"/>, when set.
    /// </summary>
    V1 = 1,

    /// <summary>
    /// The 2.x API (<c>POST /api/v2/write?org=&amp;bucket=&amp;precision=ns</c>) through InfluxDB.Client's
    /// <c>WriteApiAsync</c>, with a token. Serves InfluxDB 2.x, 3.x and 1.8+ (whose compatibility
    /// endpoint takes <c>username:password</c> as the token and <c>database/retention-policy</c> as the bucket).
    /// </summary>
    V2 = 2,
}

/// <summary>
/// Settings of the InfluxDB prediction sink, read from the <c>InfluxDb</c> configuration section.
/// Timestamps are always sent with nanosecond precision (<c>precision=ns</c>): a
/// <see cref="DateTimeOffset"/> tick is 100 ns, so every event time is written exactly and a replay
/// rewrites the same point.
/// </summary>
public sealed class InfluxDbSinkOptions
{
    /// <summary>The configuration section these options are read from.</summary>
    public const string SectionName = "InfluxDb";

    /// <summary>Base URL of the server, for example <c>http://localhost:8086</c>. Required.</summary>
    public string? Url { get; set; }

    /// <summary>The write API to use. Default <see cref="InfluxDbVersion.V2"/>.</summary>
    public InfluxDbVersion Version { get; set; } = InfluxDbVersion.V2;

    /// <summary>Database to write to (<see cref="InfluxDbVersion.V1"/> only, required there).</summary>
    public string? Database { get; set; }

    /// <summary>Retention policy to write to (<see cref="InfluxDbVersion.V1"/> only); empty means the database's default.</summary>
    public string? RetentionPolicy { get; set; }

    /// <summary>User name for basic authentication (<see cref="InfluxDbVersion.V1"/> only; optional).</summary>
    public string? Username { get; set; }

    /// <summary>Password for basic authentication (<see cref="InfluxDbVersion.V1"/> only). Never logged.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// API token, sent as <c>Authorization: Token …</c>. Required for <see cref="InfluxDbVersion.V2"/>
    /// unless <see cref="TokenFile"/> is set; optional for <see cref="InfluxDbVersion.V1"/>. Never logged.
    /// </summary>
    public string? Token { get; set; }

    /// <summary>Path of a file holding the token (for mounted secrets); used when <see cref="Token"/> is empty.</summary>
    public string? TokenFile { get; set; }

    /// <summary>Organization to write to (<see cref="InfluxDbVersion.V2"/> only, required there).</summary>
    public string? Org { get; set; }

    /// <summary>Bucket to write to (<see cref="InfluxDbVersion.V2"/> only, required there).</summary>
    public string? Bucket { get; set; }

    /// <summary>Most lines in one HTTP write. Default 5,000.</summary>
    public int BatchSize { get; set; } = 5_000;

    /// <summary>
    /// Longest time the writer waits for more lines once a batch has started and is not yet full.
    /// It sends earlier when no write arrived for 2 ms, so callers that wait for durability before
    /// writing again are not held for the whole linger. Default 100 ms; zero sends whatever is buffered at once.
    /// </summary>
    public TimeSpan Linger { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Most lines held by the sink (queued or being written). When it is full, <c>WriteAsync</c>
    /// waits for room: the sink pushes back and never drops. Default 25,000; at least <see cref="BatchSize"/>.
    /// </summary>
    public int Capacity { get; set; } = 25_000;

    /// <summary>
    /// Retries of one batch after network errors, 5xx, 408, 429 and authorization errors before its
    /// callers' tasks fault. Empty (the default) retries until the server is back, which is what the
    /// pipeline wants: callers wait, ingestion pauses, nothing is lost.
    /// </summary>
    public int? MaxRetries { get; set; }

    /// <summary>
    /// Typical delay before the first retry; later delays grow exponentially, with jitter (so sinks that
    /// failed together do not come back together), up to <see cref="MaxBackoff"/>. Default 200 ms.
    /// </summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Longest delay between retries, at most a day (a server's <c>Retry-After</c> is honoured even when longer).
    /// Default 5 s: after an outage the sink writes again at most this long after the server is back (at 30 s
    /// the fault suite's readings became durable 14 s later), and a retry every 5 s costs a server nothing.
    /// </summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Time allowed for one HTTP write. Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Compress request bodies with gzip (<c>Content-Encoding: gzip</c>). Default true.</summary>
    public bool Gzip { get; set; } = true;

    /// <summary>
    /// Which forecast steps become <c>prediction</c> points: a comma-separated list of step numbers
    /// and the words <c>last</c> (the model's horizon) or <c>all</c>. Default <c>1,last</c>.
    /// </summary>
    public string StepsToWrite { get; set; } = "1,last";

    /// <summary>Also write the applied readings as <c>reading</c> points, which the dashboards overlay. Default true.</summary>
    public bool WriteReadings { get; set; } = true;

    /// <summary>
    /// On shutdown, how long the sink keeps writing what it holds before it gives up and faults the
    /// remaining callers. Default 10 s.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Describes the target without secrets, for logs.</summary>
    /// <returns>For example <c>V1 http://localhost:8086 db=forecast</c>.</returns>
    public override string ToString() => Version == InfluxDbVersion.V1
        ? $"V1 {Url} db={Database}{(string.IsNullOrEmpty(RetentionPolicy) ? "" : $" rp={RetentionPolicy}")}"
        : $"V2 {Url} org={Org} bucket={Bucket}";
}
