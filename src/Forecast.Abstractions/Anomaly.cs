namespace Forecast.Abstractions;

/// <summary>How far a reading is from what was expected.</summary>
[GenerateSerializer, Alias("Forecast.AnomalySeverity")]
public enum AnomalySeverity
{
    /// <summary>Outside the expected range by the opening threshold.</summary>
    Warning = 1,

    /// <summary>Outside the expected range by the critical threshold.</summary>
    Critical = 2,
}

/// <summary>Severities as labels, tags and JSON write them.</summary>
public static class AnomalySeverityLabels
{
    /// <summary><c>warning</c> or <c>critical</c>.</summary>
    public static string Label(this AnomalySeverity severity) => severity == AnomalySeverity.Critical ? "critical" : "warning";
}

/// <summary>
/// A reading that opened an anomaly episode, or raised an open episode to critical. Readings inside
/// an episode that is already known are not reported again, so a long excursion is one event.
/// </summary>
/// <param name="SensorId">The sensor.</param>
/// <param name="Timestamp">Event time of the reading.</param>
/// <param name="Value">The reading's value.</param>
/// <param name="Expected">The forecast mean made for that moment.</param>
/// <param name="Lower">Lower bound of the forecast interval for that moment.</param>
/// <param name="Upper">Upper bound of the forecast interval for that moment.</param>
/// <param name="Score">Absolute residual divided by the sensor's residual scale.</param>
/// <param name="Severity">Severity of the episode after this reading.</param>
/// <param name="Model">The model whose forecast was used, as <c>name@version</c>.</param>
/// <param name="EpisodeStart">Event time of the reading that opened the episode; with the sensor id it identifies the episode.</param>
[GenerateSerializer, Immutable, Alias("Forecast.Anomaly")]
public sealed record Anomaly(
    [property: Id(0)] string SensorId,
    [property: Id(1)] DateTimeOffset Timestamp,
    [property: Id(2)] double Value,
    [property: Id(3)] double Expected,
    [property: Id(4)] double Lower,
    [property: Id(5)] double Upper,
    [property: Id(6)] double Score,
    [property: Id(7)] AnomalySeverity Severity,
    [property: Id(8)] string Model,
    [property: Id(9)] DateTimeOffset EpisodeStart);
