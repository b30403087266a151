namespace Forecast.Abstractions;

/// <summary>One measurement of one sensor at one moment.</summary>
/// <param name="SensorId">The sensor's id: <c>[A-Za-z0-9._:/-]</c>, at most 256 characters.</param>
/// <param name="Timestamp">When the sensor measured the value (event time, not arrival time).</param>
/// <param name="Value">The measured value, in the sensor's own units.</param>
[GenerateSerializer, Immutable, Alias("Forecast.SensorReading")]
public sealed record SensorReading(
    [property: Id(0)] string SensorId,
    [property: Id(1)] DateTimeOffset Timestamp,
    [property: Id(2)] double Value);

/// <summary>Readings of one sensor handed to its grain in one call, in any order.</summary>
/// <param name="Items">The readings; every item carries the same sensor id as the grain key.</param>
[GenerateSerializer, Immutable, Alias("Forecast.SensorReadings")]
public sealed record SensorReadings([property: Id(0)] IReadOnlyList<SensorReading> Items);
