namespace Forecast.Abstractions;

/// <summary>
/// Runs one step of the serving model. Implementations batch steps from many sensors into one
/// model call; callers see one awaitable step each.
/// </summary>
/// <remarks>
/// A <see cref="ModelSignature.StatefulStep"/> model takes the readings since the last step (one,
/// or a warm-up sequence) and carries its recurrent state between calls. A
/// <see cref="ModelSignature.Window"/> model takes exactly <see cref="ModelDescriptor.Window"/>
/// readings, the newest last, every call and has no state: callers pass an empty state
/// (<see cref="ModelDescriptor.StateSize"/> is 0).
/// </remarks>
public interface IForecaster
{
    /// <summary>The model being served.</summary>
    ModelDescriptor Model { get; }

    /// <summary>
    /// Feeds <paramref name="inputs"/> (normalised, <c>time x features</c>, oldest first) to the model
    /// starting from <paramref name="state"/> (hidden then cell, <c>layers x hidden</c> each; empty for
    /// a window model, whose <c>time</c> is always <see cref="ModelDescriptor.Window"/>).
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
/// <param name="Layers">Recurrent layers whose state the caller carries; 0 for a window model.</param>
/// <param name="Hidden">Hidden size per layer; 0 for a window model.</param>
/// <param name="Horizon">Forecast steps per output.</param>
/// <param name="Window">Readings each sensor keeps to re-warm its state; for a window model, the readings of every call.</param>
/// <param name="Warmup">Readings used to fit the per-sensor scaler before the first model step.</param>
/// <param name="SamplingInterval">Interval between readings the model was trained for.</param>
/// <param name="MinScale">Absolute floor of the scaler's scale.</param>
/// <param name="RelativeMinScale">Floor of the scale relative to the absolute mean.</param>
/// <param name="Clip">Normalised inputs are clipped to <c>[-Clip, Clip]</c>.</param>
/// <param name="IntervalLevel">Nominal coverage of the prediction interval (for example 0.9).</param>
/// <param name="IntervalZ">Multiplier of the residual scale that gives that coverage.</param>
/// <param name="ResidualStd">Calibrated residual standard deviation per horizon step, normalised units.</param>
/// <param name="Signature">How the model is called: stateful step (the default) or window.</param>
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
    IReadOnlyList<double> ResidualStd,
    ModelSignature Signature = ModelSignature.StatefulStep)
{
    /// <summary><c>name@version</c>, as written in predictions.</summary>
    public string Id => $"{Name}@{Version}";

    /// <summary>Floats in a sensor's recurrent state (hidden then cell); 0 for a window model.</summary>
    public int StateSize => Signature == ModelSignature.Window ? 0 : 2 * Layers * Hidden;
}

/// <summary>The two ways a served model is called (see <c>onnx/README.md</c>).</summary>
public enum ModelSignature
{
    /// <summary>
    /// <c>x[batch, time, features]</c>, <c>h0</c>, <c>c0</c> in; <c>yhat[batch, horizon]</c>, <c>hn</c>, <c>cn</c> out.
    /// One call per reading, the state carried by the caller.
    /// </summary>
    StatefulStep,

    /// <summary><c>x[batch, window, features]</c> in, <c>yhat[batch, horizon]</c> out; the last window readings every call.</summary>
    Window,
}
