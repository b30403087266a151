namespace Forecast.Abstractions;

/// <summary>One grain per sensor stream, keyed by the sensor id.</summary>
[Alias("Forecast.ISensorGrain")]
public interface ISensorGrain : IGrainWithStringKey
{
    /// <summary>
    /// Applies readings in event-time order, forecasts after each, and returns once every
    /// resulting prediction and anomaly is durably written by the prediction sink. Readings at or
    /// before the last applied event time, and invalid ones, are counted and ignored.
    /// </summary>
    [Alias("ApplyAsync")]
    Task<ApplyResult> ApplyAsync(SensorReadings readings);

    /// <summary>Returns the sensor's counters and model state, for diagnostics and tests.</summary>
    [Alias("GetStatusAsync")]
    Task<SensorStatus> GetStatusAsync();

    /// <summary>
    /// Writes the sensor's state to durable grain storage if it changed since the last write; does nothing
    /// without durable storage. The silo calls it at the latest a checkpoint interval after a change.
    /// </summary>
    [Alias("FlushAsync")]
    Task FlushAsync();
}

/// <summary>What happened to the readings of one <see cref="ISensorGrain.ApplyAsync"/> call.</summary>
/// <param name="Applied">Readings applied, each with one prediction.</param>
/// <param name="Duplicates">Readings whose event time equals the last applied one.</param>
/// <param name="OutOfOrder">Readings older than the last applied one.</param>
/// <param name="Invalid">Readings with a non-finite value or another sensor's id.</param>
/// <param name="Anomalies">Anomaly events raised (openings and escalations).</param>
/// <param name="Opened">Anomaly episodes opened: the detections.</param>
[GenerateSerializer, Immutable, Alias("Forecast.ApplyResult")]
public sealed record ApplyResult(
    [property: Id(0)] int Applied,
    [property: Id(1)] int Duplicates,
    [property: Id(2)] int OutOfOrder,
    [property: Id(3)] int Invalid,
    [property: Id(4)] int Anomalies,
    [property: Id(5)] int Opened = 0);

/// <summary>A sensor's counters and model state.</summary>
/// <param name="Model">The model the sensor is served by (its state belongs to it), as <c>name@version</c>; <see cref="WarmedUp"/> says whether it forecasts yet.</param>
/// <param name="LastApplied">Event time of the last applied reading, if any.</param>
/// <param name="Applied">Readings applied since activation.</param>
/// <param name="Duplicates">Duplicates ignored since activation.</param>
/// <param name="OutOfOrder">Late readings ignored since activation.</param>
/// <param name="Invalid">Invalid readings rejected since activation.</param>
/// <param name="WarmedUp">Whether the scaler is fixed and the model state primed.</param>
/// <param name="ScalerMean">Mean used to normalise inputs.</param>
/// <param name="ScalerScale">Scale used to normalise inputs.</param>
/// <param name="EpisodeOpen">Whether an anomaly episode is open.</param>
/// <param name="ModelState">The recurrent state (hidden then cell), as last produced by the model.</param>
/// <param name="Silo">The silo the sensor's activation runs on, when asked through a grain.</param>
/// <param name="Refits">Times the scaler was refitted because the level drifted away from it.</param>
/// <param name="Shadow">The shadow version stepping alongside, as <c>name@version</c>, if the sensor is in a shadow cohort.</param>
[GenerateSerializer, Immutable, Alias("Forecast.SensorStatus")]
public sealed record SensorStatus(
    [property: Id(0)] string Model,
    [property: Id(1)] DateTimeOffset? LastApplied,
    [property: Id(2)] long Applied,
    [property: Id(3)] long Duplicates,
    [property: Id(4)] long OutOfOrder,
    [property: Id(5)] long Invalid,
    [property: Id(6)] bool WarmedUp,
    [property: Id(7)] double ScalerMean,
    [property: Id(8)] double ScalerScale,
    [property: Id(9)] bool EpisodeOpen,
    [property: Id(10)] IReadOnlyList<float> ModelState,
    [property: Id(11)] string? Silo = null,
    [property: Id(12)] long Refits = 0,
    [property: Id(13)] string? Shadow = null);
