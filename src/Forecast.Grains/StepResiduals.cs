namespace Forecast.Grains;

/// <summary>
/// A sensor's own residual scale at every forecast step (normalised units). It keeps the forecasts of
/// the last <see cref="Horizon"/> steps; each reading is compared with what every one of them said about
/// it, and an exponentially weighted mean square per step gives interval widths the sensor has earned
/// at each horizon, where the model's step ratios from validation may fit it badly. H x H floats per
/// sensor, so only models with a short horizon get one (<see cref="MaxHorizon"/>).
/// </summary>
internal sealed class StepResiduals
{
    /// <summary>Longest horizon calibrated per step: 24 x 24 floats is 2.3 KB per sensor.</summary>
    public const int MaxHorizon = 24;

    private readonly float[] _past;
    private readonly double[] _meanSquare;
    private readonly int[] _counts;
    private int _rows;
    private int _newest;

    public StepResiduals(int horizon)
    {
        Horizon = horizon;
        _past = new float[horizon * horizon];
        _meanSquare = new double[horizon];
        _counts = new int[horizon];
    }

    public int Horizon { get; }

    /// <summary>A per-step scale for a model of <paramref name="horizon"/> steps, or null when it is too long to keep.</summary>
    public static StepResiduals? For(int horizon) => horizon <= MaxHorizon ? new StepResiduals(horizon) : null;

    /// <summary>
    /// The scale at <paramref name="step"/> (0-based) once <see cref="AnomalyOptions.MinResiduals"/>
    /// residuals were seen there; null before.
    /// </summary>
    public double? Sigma(int step, AnomalyOptions options) =>
        _counts[step] >= options.MinResiduals ? Math.Sqrt(_meanSquare[step]) : null;

    /// <summary>
    /// Scores the reading one step after the newest forecast against every kept forecast of it.
    /// Residuals are clipped at three sigmas (the step's own once known, else the model's
    /// <paramref name="modelSigma"/> times <paramref name="ratio"/>), so an anomaly does not widen the bands.
    /// </summary>
    public void Observe(double z, IReadOnlyList<double> modelSigma, double ratio, AnomalyOptions options)
    {
        for (var step = 0; step < _rows; step++)
        {
            var sigma = Sigma(step, options) ?? (modelSigma[step] * ratio);
            var residual = Math.Clamp(z - Kept(step), -3 * sigma, 3 * sigma);
            var square = residual * residual;
            _meanSquare[step] = _counts[step] == 0 ? square : _meanSquare[step] + (options.ResidualWeight * (square - _meanSquare[step]));
            _counts[step]++;
        }
    }

    /// <summary>
    /// How far <paramref name="z"/> lies from what the forecast made <paramref name="step"/> + 1 readings
    /// ago said of it, in that step's scale (the sensor's own once known, else the model's
    /// <paramref name="modelSigma"/> times <paramref name="ratio"/>); NaN when that forecast is not kept.
    /// </summary>
    public double Surprise(double z, int step, IReadOnlyList<double> modelSigma, double ratio, AnomalyOptions options)
    {
        if (step >= _rows)
        {
            return double.NaN;
        }

        var sigma = Sigma(step, options) ?? (modelSigma[step] * ratio);
        return Math.Abs(z - Kept(step)) / Math.Max(sigma, options.SurpriseFloor * modelSigma[step]);
    }

    /// <summary>What the forecast made <paramref name="step"/> + 1 readings ago said of the next reading.</summary>
    private float Kept(int step) => _past[(((_newest - step + Horizon) % Horizon) * Horizon) + step];

    /// <summary>Keeps the forecast just made (its step k predicts the reading k + 1 steps ahead).</summary>
    public void Push(ReadOnlySpan<float> forecast)
    {
        _newest = (_newest + 1) % Horizon;
        forecast[..Horizon].CopyTo(_past.AsSpan(_newest * Horizon, Horizon));
        _rows = Math.Min(_rows + 1, Horizon);
    }

    /// <summary>Forgets the kept forecasts (after a gap they no longer line up with the readings); the scales stay.</summary>
    public void Forget() => _rows = 0;

    /// <summary>Expresses the scales in new normalised units (old scale over new); the kept forecasts are dropped.</summary>
    public void Rescale(double factor)
    {
        for (var step = 0; step < Horizon; step++)
        {
            _meanSquare[step] *= factor * factor;
        }

        Forget();
    }

    /// <summary>The scales' state, for a checkpoint.</summary>
    public StepResidualsState ToState() => new([.. _past], _rows, _newest, [.. _meanSquare], [.. _counts]);

    /// <summary>The scales as a checkpoint left them; null when the state's shapes do not make one horizon.</summary>
    public static StepResiduals? From(StepResidualsState state)
    {
        var horizon = state.MeanSquare.Length;
        if (horizon == 0 || state.Past.Length != horizon * horizon || state.Counts.Length != horizon)
        {
            return null;
        }

        var restored = new StepResiduals(horizon)
        {
            _rows = Math.Clamp(state.Rows, 0, horizon),
            _newest = Math.Clamp(state.Newest, 0, horizon - 1),
        };
        state.Past.CopyTo(restored._past, 0);
        state.MeanSquare.CopyTo(restored._meanSquare, 0);
        state.Counts.CopyTo(restored._counts, 0);
        return restored;
    }
}

/// <summary>A <see cref="StepResiduals"/> as a checkpoint holds it; the arrays are its own copies.</summary>
/// <param name="Past">Forecasts of the last H steps, row-major, H x H.</param>
/// <param name="Rows">Rows of <paramref name="Past"/> in use.</param>
/// <param name="Newest">Row of the newest forecast.</param>
/// <param name="MeanSquare">Per-step mean squared residual, normalised units.</param>
/// <param name="Counts">Per-step residuals observed.</param>
[GenerateSerializer, Immutable, Alias("Forecast.StepResidualsState")]
internal sealed record StepResidualsState(
    [property: Id(0)] float[] Past,
    [property: Id(1)] int Rows,
    [property: Id(2)] int Newest,
    [property: Id(3)] double[] MeanSquare,
    [property: Id(4)] int[] Counts);
