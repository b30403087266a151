namespace Forecast.Abstractions;

/// <summary>
/// Which model versions a sensor is served by right now. The model registry changes the answer when a
/// version is deployed, canaried, shadowed or rolled back; a silo without a registry always answers with
/// its one model.
/// </summary>
public interface IModelRouter
{
    /// <summary>The versions for <paramref name="sensorId"/>; the same sensor gets the same cohort every time.</summary>
    ModelRoute Route(string sensorId);
}

/// <summary>The models one sensor is served by.</summary>
/// <param name="Serving">The version whose predictions and anomalies are served (the primary, or a canary).</param>
/// <param name="Shadow">A version that steps alongside for comparison: its predictions are written tagged <c>stage=shadow</c> and never alerted on.</param>
public readonly record struct ModelRoute(IForecaster Serving, IForecaster? Shadow = null);

/// <summary>A silo that serves one model: every sensor gets it, nothing shadows it.</summary>
public sealed class SingleModelRouter(IForecaster forecaster) : IModelRouter
{
    /// <inheritdoc />
    public ModelRoute Route(string sensorId) => new(forecaster);
}

/// <summary>Where sensors report how their forecasts did against the readings that arrived, per model version.</summary>
public interface IModelAccuracy
{
    /// <summary>
    /// Adds one grain call's one-step errors for <paramref name="modelId"/>: <paramref name="absoluteError"/> is the sum
    /// of |reading − forecast| in units of each sensor's scale, <paramref name="covered"/> how many readings fell inside
    /// the prediction interval.
    /// </summary>
    void Record(string modelId, int readings, double absoluteError, int covered);
}
