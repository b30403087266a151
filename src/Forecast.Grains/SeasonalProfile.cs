namespace Forecast.Grains;

/// <summary>
/// A sensor's usual value at each time of day (more generally, each phase of
/// <see cref="AnomalyOptions.SeasonPeriod"/>), in <see cref="AnomalyOptions.SeasonBins"/> bins: per bin an
/// exponentially weighted mean and mean absolute deviation of the value. It sees what a short-horizon
/// forecast cannot: a day shaped unlike the days before it. A value updates its bin clipped to
/// <see cref="ClipDeviations"/> deviations, so one wild reading does not spoil its bin for days.
/// </summary>
internal sealed class SeasonalProfile
{
    /// <summary>Deviations from a bin's usual value beyond which a value updates it clipped.</summary>
    public const double ClipDeviations = 10;

    private readonly float[] _means;
    private readonly float[] _deviations;

    // The first reading's time: a bin is judged only once a whole period has passed since, so its usual
    // value comes from earlier periods, not from the minutes just before (a trend within the first day).
    private DateTimeOffset? _since;

    public SeasonalProfile(int bins)
    {
        _means = new float[bins];
        _deviations = new float[bins];
        Array.Fill(_means, float.NaN);
        Array.Fill(_deviations, float.NaN);
    }

    /// <summary>
    /// How far <paramref name="value"/> lies from its bin's usual value, in the bin's deviations (at least
    /// <paramref name="floor"/>); NaN until a whole period has passed and the bin has been visited twice. The bin then learns from it
    /// with weight <paramref name="weight"/>.
    /// </summary>
    public double Observe(DateTimeOffset timestamp, double value, double floor, double weight, AnomalyOptions options)
    {
        var bin = Bin(timestamp, options);
        _since ??= timestamp;
        var judged = timestamp - _since.Value >= options.SeasonPeriod;
        var mean = (double)_means[bin];
        var deviation = (double)_deviations[bin];
        if (double.IsNaN(mean))
        {
            _means[bin] = Narrow(value);
            return double.NaN;
        }

        if (double.IsNaN(deviation))
        {
            _deviations[bin] = Narrow(Math.Abs(value - mean));
            _means[bin] = Narrow(mean + (weight * (value - mean)));
            return double.NaN;
        }

        var scale = Math.Max(deviation, floor);
        var distance = Math.Abs(value - mean);

        // A sensor that never moved has no scale yet: any move is as surprising as can be.
        var surprise = !judged ? double.NaN : scale > 0 ? distance / scale : distance > 0 ? double.PositiveInfinity : 0;
        var clipped = Math.Clamp(value, mean - (ClipDeviations * scale), mean + (ClipDeviations * scale));
        _deviations[bin] = Narrow(deviation + (weight * (Math.Abs(clipped - mean) - deviation)));
        _means[bin] = Narrow(mean + (weight * (clipped - mean)));
        return surprise;
    }

    /// <summary>The weight of one reading in its bin, so that one period weighs <see cref="AnomalyOptions.SeasonWeight"/>.</summary>
    public static double Weight(TimeSpan interval, AnomalyOptions options)
    {
        var perBin = interval > TimeSpan.Zero ? Math.Max(1, options.SeasonPeriod / options.SeasonBins / interval) : 1;
        return 1 - Math.Pow(1 - options.SeasonWeight, 1 / perBin);
    }

    private int Bin(DateTimeOffset timestamp, AnomalyOptions options)
    {
        var phase = (double)(timestamp.UtcTicks % options.SeasonPeriod.Ticks) / options.SeasonPeriod.Ticks;
        return Math.Min((int)(phase * _means.Length), _means.Length - 1);
    }

    private static float Narrow(double value) => (float)value;

    /// <summary>The profile's state, for a checkpoint.</summary>
    public SeasonalProfileState ToState() => new([.. _means], [.. _deviations], _since);

    /// <summary>A profile as a checkpoint left it; null when its bins are not the options' (they changed since).</summary>
    public static SeasonalProfile? From(SeasonalProfileState state, AnomalyOptions options)
    {
        if (state.Means.Length != options.SeasonBins || state.Deviations.Length != options.SeasonBins)
        {
            return null;
        }

        var profile = new SeasonalProfile(options.SeasonBins) { _since = state.Since };
        for (var bin = 0; bin < options.SeasonBins; bin++)
        {
            profile._means[bin] = state.Means[bin];
            profile._deviations[bin] = state.Deviations[bin];
        }

        return profile;
    }
}

/// <summary>A <see cref="SeasonalProfile"/> as a checkpoint holds it (NaN marks a bin not yet seen).</summary>
/// <param name="Means">Per bin, the usual value.</param>
/// <param name="Deviations">Per bin, its mean absolute deviation.</param>
/// <param name="Since">Time of the first reading the profile saw.</param>
[GenerateSerializer, Immutable, Alias("Forecast.SeasonalProfileState")]
internal sealed record SeasonalProfileState(
    [property: Id(0)] float[] Means,
    [property: Id(1)] float[] Deviations,
    [property: Id(2)] DateTimeOffset? Since);
