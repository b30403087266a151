namespace Forecast.Grains;

/// <summary>
/// A sensor's own one-step residual scale (normalised units), exponentially weighted. Until enough
/// residuals are seen the model's calibrated scale stands in; afterwards it is floored at half of it,
/// so an unusually quiet stretch cannot make ordinary noise look anomalous.
/// </summary>
internal sealed class ResidualScale
{
    private double _meanSquare;

    public int Count { get; private set; }

    /// <summary>A residual scale as a checkpoint left it.</summary>
    public static ResidualScale From(ResidualScaleState state) => new() { Count = state.Count, _meanSquare = state.MeanSquare };

    /// <summary>The scale's state, for a checkpoint.</summary>
    public ResidualScaleState ToState() => new(Count, _meanSquare);

    public double Sigma(double modelSigma, AnomalyOptions options) =>
        Count < options.MinResiduals ? modelSigma : Math.Max(Math.Sqrt(_meanSquare), 0.5 * modelSigma);

    /// <summary>
    /// The scale prediction intervals use: the sensor's own, without the floor that protects anomaly
    /// scores, so a quiet sensor gets the narrow band its forecasts earn.
    /// </summary>
    public double IntervalSigma(double modelSigma, AnomalyOptions options) =>
        Count < options.MinResiduals ? modelSigma : Math.Max(Math.Sqrt(_meanSquare), 0.01 * modelSigma);

    /// <summary>Adds a residual, clipped at three current sigmas so anomalies do not inflate the scale.</summary>
    public void Observe(double residual, double sigma, AnomalyOptions options)
    {
        var clipped = Math.Clamp(residual, -3 * sigma, 3 * sigma);
        var square = clipped * clipped;
        _meanSquare = Count == 0 ? square : _meanSquare + (options.ResidualWeight * (square - _meanSquare));
        Count++;
    }

    /// <summary>Expresses the scale in new normalised units after the scaler changed (old scale over new).</summary>
    public void Rescale(double factor) => _meanSquare *= factor * factor;
}

/// <summary>A <see cref="ResidualScale"/> as a checkpoint holds it.</summary>
/// <param name="Count">Residuals observed.</param>
/// <param name="MeanSquare">Their exponentially weighted mean square, normalised units.</param>
[GenerateSerializer, Immutable, Alias("Forecast.ResidualScaleState")]
internal sealed record ResidualScaleState(
    [property: Id(0)] int Count,
    [property: Id(1)] double MeanSquare);
