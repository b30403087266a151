namespace Forecast.Grains;

/// <summary>When a sensor grain checkpoints its state to grain storage.</summary>
public sealed class SensorOptions
{
    /// <summary>Configuration section: <c>Sensors</c>.</summary>
    public const string SectionName = "Sensors";

    /// <summary>Name of the grain storage provider that holds sensor state: <c>sensors</c>.</summary>
    public const string StorageName = "sensors";

    /// <summary>Applied readings after which the state is written (with durable storage only). Default 100.</summary>
    public int CheckpointReadings { get; set; } = 100;

    /// <summary>Longest time changed state stays unwritten (with durable storage only). Default 30 seconds.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Whether grain storage outlives the silo (Redis). When it does not (the embedded default's memory
    /// storage), it holds only idle sensors: grains write when deactivated while the silo keeps running (idle
    /// collection) and clear that copy when activated again. A stored copy of a live sensor would double its
    /// memory, and at shutdown the storage goes away with them. Set by the host.
    /// </summary>
    public bool DurableStorage { get; set; }
}
