namespace Forecast.Ingestion.Kafka;

/// <summary>Where readings come from on Kafka, and how hard ingestion may push the silo.</summary>
public sealed class KafkaIngestionOptions
{
    /// <summary>Configuration section: <c>Kafka</c>.</summary>
    public const string SectionName = "Kafka";

    /// <summary>Bootstrap servers, for example <c>kafka-1:9092,kafka-2:9092</c>. Required; its presence turns Kafka ingestion on.</summary>
    public string BootstrapServers { get; set; } = "";

    /// <summary>Topic of readings. Default <c>sensor-readings</c>.</summary>
    public string Topic { get; set; } = "sensor-readings";

    /// <summary>Topic that receives invalid messages with the reason in headers. Default <c>sensor-readings.dlq</c>.</summary>
    public string DeadLetterTopic { get; set; } = "sensor-readings.dlq";

    /// <summary>Consumer group of the silos. Default <c>forecast</c>.</summary>
    public string GroupId { get; set; } = "forecast";

    /// <summary>When set, every prediction is also produced to this topic (JSON, key = sensor id). Default: off.</summary>
    public string? PredictionsTopic { get; set; }

    /// <summary>When set, every anomaly event is also produced to this topic (JSON, key = sensor id). Default: off.</summary>
    public string? AnomaliesTopic { get; set; }

    /// <summary>Most messages taken in one poll batch before they are routed. Default 5,000.</summary>
    public int MaxPollMessages { get; set; } = 5_000;

    /// <summary>How long one poll waits for the first message. Default 50 ms.</summary>
    public TimeSpan PollTimeout { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Keep each sensor grain on the silo whose consumer owns its partition: calls carry this silo as the
    /// placement hint, so a new activation starts here, and an activation elsewhere (after a rebalance)
    /// migrates here with its state once idle. Default on; off leaves placement to Orleans.
    /// </summary>
    public bool ColocateSensors { get; set; } = true;

    /// <summary>Grain calls in flight at most. Default 1,000.</summary>
    public int MaxConcurrentCalls { get; set; } = 1_000;

    /// <summary>
    /// Readings consumed but not yet durably predicted, above which the consumer pauses its partitions
    /// (it keeps polling, so it stays in the group); it resumes below half. Bounds memory. Default 100,000.
    /// </summary>
    public int MaxInFlightReadings { get; set; } = 100_000;

    /// <summary>Largest message accepted; larger ones are dead-lettered as <c>oversized</c>. Default 1 MiB.</summary>
    public int MaxMessageBytes { get; set; } = 1 << 20;

    /// <summary>Readings stamped further than this into the future are dead-lettered. Default 1 hour.</summary>
    public TimeSpan MaxFuture { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Readings older than this are dead-lettered. Default 3,650 days.</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(3650);

    internal ReadingLimits Limits => new(MaxMessageBytes, MaxFuture, MaxAge);

    /// <summary>How long a revoke or a shutdown waits for in-flight readings before committing what is done. Default 30 s.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>librdkafka consumer settings, passed through whole (for example <c>security.protocol</c>, <c>sasl.mechanism</c>).</summary>
    public Dictionary<string, string> Consumer { get; set; } = [];

    /// <summary>librdkafka producer settings for dead letters and outputs, passed through whole.</summary>
    public Dictionary<string, string> Producer { get; set; } = [];
}
