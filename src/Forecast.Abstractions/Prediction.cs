using System.Text.Json.Serialization;

namespace Forecast.Abstractions;

/// <summary>The forecast for one future moment: the mean and the bounds of its prediction interval.</summary>
/// <param name="Step">1 for the next expected reading, up to the model's horizon.</param>
/// <param name="TargetTime">The moment this step forecasts.</param>
/// <param name="Mean">Forecast mean, in the sensor's units.</param>
/// <param name="Lower">Lower bound of the prediction interval.</param>
/// <param name="Upper">Upper bound of the prediction interval.</param>
[GenerateSerializer, Immutable, Alias("Forecast.ForecastStep")]
public readonly record struct ForecastStep(
    [property: Id(0)] int Step,
    [property: Id(1)] DateTimeOffset TargetTime,
    [property: Id(2)] double Mean,
    [property: Id(3)] double Lower,
    [property: Id(4)] double Upper);

/// <summary>
/// What a sensor's model expects next, issued after applying one reading. Deterministic for a
/// given reading history, so a replay produces the same prediction again.
/// </summary>
/// <param name="SensorId">The sensor the forecast is for.</param>
/// <param name="Model">The model that made it, as <c>name@version</c>.</param>
/// <param name="IssuedAt">Event time of the reading the forecast was issued after.</param>
/// <param name="Steps">One entry per horizon step, nearest first.</param>
/// <param name="Stage">Null for a served prediction; <c>shadow</c> for one made by a shadow version, written tagged <c>stage=shadow</c>.</param>
[GenerateSerializer, Immutable, Alias("Forecast.Prediction")]
public sealed record Prediction(
    [property: Id(0)] string SensorId,
    [property: Id(1)] string Model,
    [property: Id(2)] DateTimeOffset IssuedAt,
    [property: Id(3)] IReadOnlyList<ForecastStep> Steps,
    [property: Id(4), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Stage = null)
{
    /// <summary>The <see cref="Stage"/> of predictions made by a shadow version.</summary>
    public const string ShadowStage = "shadow";
}
