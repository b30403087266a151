namespace Forecast.Grains;

/// <summary>
/// Per-sensor z-score normalisation. Fitted on the first readings (the warm-up) with Welford's
/// algorithm, then fixed: the model's recurrent state only means something under one scaling. When
/// the level drifts far from it, the stream replaces it with one fitted on its ring buffer.
/// </summary>
internal sealed class Scaler
{
    private double _m2;

    public int Count { get; private set; }

    public double Mean { get; private set; }

    public double Scale { get; private set; } = 1;

    public bool IsFixed { get; private set; }

    /// <summary>Population standard deviation of the readings observed so far.</summary>
    public double StandardDeviation => Count == 0 ? 0 : Math.Sqrt(_m2 / Count);

    public void Observe(double value)
    {
        if (IsFixed)
        {
            throw new InvalidOperationException("The scaler is fixed after its warm-up.");
        }

        Count++;
        var delta = value - Mean;
        Mean += delta / Count;
        _m2 += delta * (value - Mean);
    }

    /// <summary>Fixes mean and scale; the scale has an absolute and a relative floor so flat sensors stay finite.</summary>
    public void Fix(double minScale, double relativeMinScale)
    {
        Scale = Math.Max(StandardDeviation, Math.Max(relativeMinScale * Math.Abs(Mean), minScale));
        IsFixed = true;
    }

    /// <summary>A scaler as a checkpoint left it.</summary>
    public static Scaler From(ScalerState state) =>
        new() { Count = state.Count, Mean = state.Mean, _m2 = state.M2, Scale = state.Scale, IsFixed = state.IsFixed };

    /// <summary>The scaler's state, for a checkpoint.</summary>
    public ScalerState ToState() => new(Count, Mean, _m2, Scale, IsFixed);

    /// <summary>A fixed scaler fitted on <paramref name="values"/> (a refit on the ring buffer after drift).</summary>
    public static Scaler Fitted(IEnumerable<double> values, double minScale, double relativeMinScale)
    {
        var scaler = new Scaler();
        foreach (var value in values)
        {
            scaler.Observe(value);
        }

        scaler.Fix(minScale, relativeMinScale);
        return scaler;
    }

    public double Normalise(double value) => (value - Mean) / Scale;

    public double Denormalise(double z) => Mean + (z * Scale);
}

/// <summary>A <see cref="Scaler"/> as a checkpoint holds it.</summary>
/// <param name="Count">Readings observed.</param>
/// <param name="Mean">Their running mean.</param>
/// <param name="M2">Welford's running sum of squared deviations.</param>
/// <param name="Scale">The scale readings are divided by.</param>
/// <param name="IsFixed">Whether the warm-up is over.</param>
[GenerateSerializer, Immutable, Alias("Forecast.ScalerState")]
internal sealed record ScalerState(
    [property: Id(0)] int Count,
    [property: Id(1)] double Mean,
    [property: Id(2)] double M2,
    [property: Id(3)] double Scale,
    [property: Id(4)] bool IsFixed);
