namespace Forecast.Abstractions;

/// <summary>
/// Runs one stateful step of the serving model. Implementations batch steps from many sensors
/// into one model call; callers see one awaitable step each.
/// </summary>
public interface IForecaster
{
    /// <summary>The model being served.</summary>
    ModelDescriptor Model { get; }

    /// <summary>
    /// Feeds <paramref name="inputs"/> (normalised, <c>time x features</c>, oldest first) to the model
    /// starting from <paramref name="state"/> (hidden then cell, <c>layers x hidden</c> each).
    /// On success <paramref name="state"/> holds the new state and <paramref name="forecast"/> the
    /// normalised forecast for the next <c>horizon</c> steps. On failure it throws and leaves both untouched.
    /// </summary>
    ValueTask StepAsync(
        ReadOnlyMemory<float> inputs,
        Memory<float> state,
        Memory<float> forecast,
        CancellationToken cancellationToken = default);
}

/// <summary>What a sensor needs to know about the serving model (from its manifest).</summary>
/// <param name="Name">Model name.</param>
/// <param name="Version">Model version.</param>
/// <param name="Features">Input features per time step.</param>
/// <param name="Layers">Recurrent layers.</param>
/// <param name="Hidden">Hidden size per layer.</param>
/// <param name="Horizon">Forecast steps per output.</param>
/// <param name="Window">Readings each sensor keeps to re-warm its state.</param>
/// <param name="Warmup">Readings used to fit the per-sensor scaler before the first model step.</param>
/// <param name="SamplingInterval">Interval between readings the model was trained for.</param>
/// <param name="MinScale">Absolute floor of the scaler's scale.</param>
/// <param name="RelativeMinScale">Floor of the scale relative to the absolute mean.</param>
/// <param name="Clip">Normalised inputs are clipped to <c>[-Clip, Clip]</c>.</param>
/// <param name="IntervalLevel">Nominal coverage of the prediction interval (for example 0.9).</param>
/// <param name="IntervalZ">Multiplier of the residual scale that gives that coverage.</param>
/// <param name="ResidualStd">Calibrated residual standard deviation per horizon step, normalised units.</param>
public sealed record ModelDescriptor(
    string Name,
    string Version,
    int Features,
    int Layers,
    int Hidden,
    int Horizon,
    int Window,
    int Warmup,
    TimeSpan SamplingInterval,
    double MinScale,
    double RelativeMinScale,
    double Clip,
    double IntervalLevel,
    double IntervalZ,
    IReadOnlyList<double> ResidualStd)
{
    /// <summary><c>name@version</c>, as written in predictions.</summary>
    public string Id => $"{Name}@{Version}";

    /// <summary>Floats in a sensor's recurrent state (hidden then cell).</summary>
    public int StateSize => 2 * Layers * Hidden;
}
