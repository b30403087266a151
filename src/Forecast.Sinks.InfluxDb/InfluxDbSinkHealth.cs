using System.Text.Json.Serialization;

namespace Forecast.Sinks.InfluxDb;

/// <summary>The sink's condition, as the health endpoint shows it (serialized by name).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<InfluxDbSinkState>))]
public enum InfluxDbSinkState
{
    /// <summary>The last write succeeded (or none was needed yet).</summary>
    Healthy = 0,

    /// <summary>A write failed and is being retried; callers wait.</summary>
    Degraded = 1,

    /// <summary>Writes have failed repeatedly, or the server refuses our credentials or target; callers wait.</summary>
    Down = 2,
}

/// <summary>
/// Live state and counters of the InfluxDB sink, one instance per sink (a singleton in the host).
/// Safe to read from any thread; each property is read on its own, not as one snapshot.
/// </summary>
public sealed class InfluxDbSinkHealth
{
    private readonly Lock _lock = new();
    private InfluxDbSinkState _state;
    private string? _lastError;
    private DateTimeOffset? _lastErrorAt;
    private DateTimeOffset? _lastSuccessAt;
    private long _bufferedLines;
    private long _writtenPoints;
    private long _rejectedPoints;
    private long _nonFiniteValues;
    private long _invalidBatches;
    private long _requests;
    private long _failedRequests;

    internal InfluxDbSinkHealth(string target)
    {
        Target = target;
    }

    /// <summary>Where the sink writes, without secrets (for example <c>V1 http://influxdb:8086 db=forecast</c>).</summary>
    public string Target { get; }

    /// <summary>The sink's condition.</summary>
    public InfluxDbSinkState State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    /// <summary>The last failure or refusal, if any (never contains credentials).</summary>
    public string? LastError
    {
        get
        {
            lock (_lock)
            {
                return _lastError;
            }
        }
    }

    /// <summary>When <see cref="LastError"/> happened.</summary>
    public DateTimeOffset? LastErrorAt
    {
        get
        {
            lock (_lock)
            {
                return _lastErrorAt;
            }
        }
    }

    /// <summary>When a write last succeeded.</summary>
    public DateTimeOffset? LastSuccessAt
    {
        get
        {
            lock (_lock)
            {
                return _lastSuccessAt;
            }
        }
    }

    /// <summary>Lines held by the sink now (queued or being written); never above <see cref="InfluxDbSinkOptions.Capacity"/>.</summary>
    public long BufferedLines => Interlocked.Read(ref _bufferedLines);

    /// <summary>Points the server has acknowledged.</summary>
    public long WrittenPoints => Interlocked.Read(ref _writtenPoints);

    /// <summary>Points the server refused for good (partial writes); their callers' tasks faulted.</summary>
    public long RejectedPoints => Interlocked.Read(ref _rejectedPoints);

    /// <summary>Non-finite values refused before sending; their callers' tasks faulted.</summary>
    public long NonFiniteValues => Interlocked.Read(ref _nonFiniteValues);

    /// <summary>Batches refused before sending (non-finite values or unwritable tags).</summary>
    public long InvalidBatches => Interlocked.Read(ref _invalidBatches);

    /// <summary>HTTP write requests made, retries included.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Requests that failed for reasons other than the lines (network, 5xx, 429, …); each is retried unless retries ran out.</summary>
    public long FailedRequests => Interlocked.Read(ref _failedRequests);

    internal void AddBuffered(long lines) => Interlocked.Add(ref _bufferedLines, lines);

    internal void AddInvalid(int nonFiniteValues)
    {
        Interlocked.Add(ref _nonFiniteValues, nonFiniteValues);
        Interlocked.Increment(ref _invalidBatches);
    }

    internal void AddRequest() => Interlocked.Increment(ref _requests);

    internal void Succeeded(long points, DateTimeOffset now)
    {
        Interlocked.Add(ref _writtenPoints, points);
        lock (_lock)
        {
            _state = InfluxDbSinkState.Healthy;
            _lastSuccessAt = now;
        }
    }

    internal void Rejected(long points, string error, DateTimeOffset now)
    {
        Interlocked.Add(ref _rejectedPoints, points);
        lock (_lock)
        {
            _lastError = error;
            _lastErrorAt = now;
        }
    }

    internal void Failed(string error, bool down, DateTimeOffset now)
    {
        Interlocked.Increment(ref _failedRequests);
        lock (_lock)
        {
            _state = down ? InfluxDbSinkState.Down : InfluxDbSinkState.Degraded;
            _lastError = error;
            _lastErrorAt = now;
        }
    }
}
