namespace Forecast.Grains;

/// <summary>
/// Turns one sensor's surprises into an anomaly score in [0, 1] that means the same on every sensor,
/// after the anomaly likelihood described by Ahmad et al. 2017 ("Unsupervised real-time anomaly
/// detection for streaming data"). Three surprises are judged, each by its own <see cref="SurpriseLikelihood"/>:
/// the reading against the forecast made one step before it (spikes), against the one made a full
/// horizon before it (changes of shape the one-step forecast follows too quickly to show), and against
/// the sensor's usual value at that time of day (<see cref="SeasonalProfile"/>: a day unlike the days
/// before it). The score is the highest of the three, or 1 for a novel value, one far outside the range
/// the sensor has ever shown and outside its forecast's band. Nothing is decided during the first
/// <see cref="AnomalyOptions.LearningReadings"/> readings, and after a detection (a score at or above
/// <see cref="AnomalyOptions.Threshold"/>) the next <see cref="AnomalyOptions.SuppressReadings"/> scores are
/// held at 0, so one event raises one alert. Fixed in size (about 1 KB), and checkpointed with the stream.
/// </summary>
internal sealed class AnomalyScorer
{
    private readonly SurpriseLikelihood _near;
    private readonly SurpriseLikelihood _far;
    private readonly SurpriseLikelihood _season;
    private readonly SeasonalProfile? _profile;
    private double _min = double.NaN;
    private double _max = double.NaN;
    private int _suppress;

    public AnomalyScorer(AnomalyOptions options)
        : this(new SurpriseLikelihood(options), new SurpriseLikelihood(options), new SurpriseLikelihood(options), Profile(options))
    {
    }

    private AnomalyScorer(SurpriseLikelihood near, SurpriseLikelihood far, SurpriseLikelihood season, SeasonalProfile? profile)
    {
        _near = near;
        _far = far;
        _season = season;
        _profile = profile;
    }

    /// <summary>Readings seen, scored or not.</summary>
    public long Seen { get; private set; }

    /// <summary>Scores one reading.</summary>
    public AnomalyScore Observe(in ScorerInput input, AnomalyOptions options)
    {
        Seen++;
        var learning = Seen <= options.LearningReadings;

        // A value outside the range is novel only when it is outside its forecast's band too: a level the
        // model follows as it trends away is not an event.
        var novel = !learning && !(input.NearSurprise < input.BandZ) && IsNovel(input.Value, options);
        var seasonal = _profile is null
            ? double.NaN
            : _profile.Observe(input.Timestamp, input.Value, options.SeasonFloor * (_max - _min), SeasonalProfile.Weight(input.Interval, options), options);
        _min = double.IsNaN(_min) ? input.Value : Math.Min(_min, input.Value);
        _max = double.IsNaN(_max) ? input.Value : Math.Max(_max, input.Value);

        // Every likelihood learns during the learning period and the suppression; only the decision waits.
        var likelihood = Math.Max(
            Math.Max(_near.Observe(input.NearSurprise, options), _far.Observe(input.FarSurprise, options)),
            _season.Observe(seasonal, options));
        if (learning)
        {
            return default;
        }

        if (_suppress > 0)
        {
            _suppress--;
            return default;
        }

        var score = novel ? 1 : likelihood;
        if (score >= options.Threshold)
        {
            _suppress = options.SuppressReadings;
        }

        return new AnomalyScore(score, novel);
    }

    private bool IsNovel(double value, AnomalyOptions options)
    {
        var range = _max - _min;
        var margin = options.NoveltyMargin * range;
        return range > 0 && (value > _max + margin || value < _min - margin);
    }

    private static SeasonalProfile? Profile(AnomalyOptions options) =>
        options.SeasonPeriod > TimeSpan.Zero ? new SeasonalProfile(options.SeasonBins) : null;

    /// <summary>A scorer as a checkpoint left it; a fresh one when the state does not fit the options' sizes.</summary>
    public static AnomalyScorer From(AnomalyScorerState state, AnomalyOptions options)
    {
        var near = SurpriseLikelihood.From(state.Near, options);
        var far = SurpriseLikelihood.From(state.Far, options);
        var season = state.Season is { } seasonState ? SurpriseLikelihood.From(seasonState, options) : new SurpriseLikelihood(options);
        var profile = state.Profile is { } profileState ? SeasonalProfile.From(profileState, options) : Profile(options);
        var fits = near is not null && far is not null && season is not null && (profile is not null) == (options.SeasonPeriod > TimeSpan.Zero);
        return fits
            ? new AnomalyScorer(near!, far!, season!, profile) { Seen = state.Seen, _min = state.Min, _max = state.Max, _suppress = state.Suppress }
            : new AnomalyScorer(options);
    }

    /// <summary>The scorer's state, for a checkpoint.</summary>
    public AnomalyScorerState ToState() =>
        new(Seen, _min, _max, _suppress, _near.ToState(), _far.ToState(), _season.ToState(), _profile?.ToState());
}

/// <summary>What <see cref="AnomalyScorer"/> judges of one reading.</summary>
/// <param name="Timestamp">Its event time (its phase in the season).</param>
/// <param name="Value">Its value.</param>
/// <param name="Interval">The sensor's sampling interval.</param>
/// <param name="NearSurprise">Its absolute residual, in error scales, against the forecast made one step before; NaN where none.</param>
/// <param name="FarSurprise">The same against the forecast made a full horizon before.</param>
/// <param name="BandZ">Half-width of the model's prediction interval, in error scales.</param>
internal readonly record struct ScorerInput(
    DateTimeOffset Timestamp, double Value, TimeSpan Interval, double NearSurprise, double FarSurprise, double BandZ)
{
    /// <summary>A reading with no forecast to judge it by (warm-up, or after a gap longer than the horizon): only what it shows of the sensor's range and season is learned.</summary>
    public static ScorerInput Unforecast(DateTimeOffset timestamp, double value, TimeSpan interval) =>
        new(timestamp, value, interval, double.NaN, double.NaN, double.PositiveInfinity);
}

/// <summary>
/// The anomaly likelihood of one stream of surprises. Each surprise is squashed into a raw score in
/// [0, 1); a short moving average of raw scores (<see cref="AnomalyOptions.ShortWindow"/>) is compared
/// with a Gaussian fitted to that average's own recent history, re-estimated each time a block of
/// <see cref="AnomalyOptions.EstimationBlock"/> readings closes, over the last
/// <see cref="AnomalyOptions.EstimationBlocks"/> blocks. The upper tail probability is log-scaled:
/// <c>-log10(tail) / LogScale</c>, capped to [0, 1].
/// </summary>
internal sealed class SurpriseLikelihood
{
    // Raw scores and block moments lie in [0, 1]: half precision keeps them to three digits at half the memory.
    private readonly Half[] _recent;

    // Per closed block: its mean, then its mean square, interleaved.
    private readonly Half[] _blocks;
    private int _recentNext;
    private int _recentCount;
    private int _blockNext;
    private int _blockCount;
    private int _open;
    private double _openSum;
    private double _openSquares;
    private double _mean = double.NaN;
    private double _deviation = double.NaN;

    public SurpriseLikelihood(AnomalyOptions options)
    {
        _recent = new Half[options.ShortWindow];
        _blocks = new Half[2 * options.EstimationBlocks];
    }

    /// <summary>The likelihood score of <paramref name="surprise"/>; 0 before the first block closes and for NaN.</summary>
    public double Observe(double surprise, AnomalyOptions options)
    {
        if (double.IsNaN(surprise))
        {
            return 0;
        }

        var raw = 1 - Math.Exp(-(surprise * surprise) / (2 * options.RawScale * options.RawScale));
        var average = Average(raw);
        // Judged against the Gaussian of the readings before it, then added to it.
        var score = double.IsNaN(_mean) ? 0 : Score(average, options);
        Estimate(average, options);
        return score;
    }

    private double Score(double average, AnomalyOptions options)
    {
        var tail = 0.5 * Erfc((average - _mean) / (_deviation * Math.Sqrt(2)));
        return Math.Clamp(-Math.Log10(Math.Max(tail, 1e-300)) / options.LogScale, 0, 1);
    }

    private double Average(double raw)
    {
        _recent[_recentNext] = (Half)raw;
        _recentNext = (_recentNext + 1) % _recent.Length;
        _recentCount = Math.Min(_recentCount + 1, _recent.Length);
        var sum = 0.0;
        for (var i = 0; i < _recentCount; i++)
        {
            sum += (double)_recent[i];
        }

        return sum / _recentCount;
    }

    /// <summary>Adds the average to the open block; a full block closes and the Gaussian is refitted on the kept ones.</summary>
    private void Estimate(double average, AnomalyOptions options)
    {
        _openSum += average;
        _openSquares += average * average;
        if (++_open < options.EstimationBlock)
        {
            return;
        }

        _blocks[2 * _blockNext] = (Half)(_openSum / _open);
        _blocks[(2 * _blockNext) + 1] = (Half)(_openSquares / _open);
        _blockNext = (_blockNext + 1) % (_blocks.Length / 2);
        _blockCount = Math.Min(_blockCount + 1, _blocks.Length / 2);
        (_open, _openSum, _openSquares) = (0, 0, 0);

        double mean = 0, square = 0;
        for (var i = 0; i < _blockCount; i++)
        {
            mean += (double)_blocks[2 * i];
            square += (double)_blocks[(2 * i) + 1];
        }

        _mean = mean / _blockCount;
        _deviation = Math.Sqrt(Math.Max((square / _blockCount) - (_mean * _mean), options.MinDeviation * options.MinDeviation));
    }

    /// <summary>The complementary error function (Numerical Recipes' Chebyshev fit, relative error below 1.2e-7).</summary>
    private static double Erfc(double x)
    {
        var z = Math.Abs(x);
        var t = 1 / (1 + (0.5 * z));
        var poly = -1.26551223 + (t * (1.00002368 + (t * (0.37409196 + (t * (0.09678418 + (t * (-0.18628806 + (t * (0.27886807
            + (t * (-1.13520398 + (t * (1.48851587 + (t * (-0.82215223 + (t * 0.17087277)))))))))))))))));
        var r = t * Math.Exp(-(z * z) + poly);
        return x >= 0 ? r : 2 - r;
    }

    /// <summary>The likelihood's state, for a checkpoint.</summary>
    public SurpriseLikelihoodState ToState() =>
        new([.. _recent.Select(h => (float)h)], _recentNext, _recentCount, [.. _blocks.Select(h => (float)h)], _blockNext, _blockCount, _open, _openSum, _openSquares, _mean, _deviation);

    /// <summary>A likelihood as a checkpoint left it; null when its sizes are not the options' (they changed since).</summary>
    public static SurpriseLikelihood? From(SurpriseLikelihoodState state, AnomalyOptions options)
    {
        var restored = new SurpriseLikelihood(options);
        if (state.Recent.Length != restored._recent.Length || state.Blocks.Length != restored._blocks.Length)
        {
            return null;
        }

        for (var i = 0; i < state.Recent.Length; i++)
        {
            restored._recent[i] = (Half)state.Recent[i];
        }

        for (var i = 0; i < state.Blocks.Length; i++)
        {
            restored._blocks[i] = (Half)state.Blocks[i];
        }

        restored._recentNext = Math.Clamp(state.RecentNext, 0, restored._recent.Length - 1);
        restored._recentCount = Math.Clamp(state.RecentCount, 0, restored._recent.Length);
        restored._blockNext = Math.Clamp(state.BlockNext, 0, (restored._blocks.Length / 2) - 1);
        restored._blockCount = Math.Clamp(state.BlockCount, 0, restored._blocks.Length / 2);
        restored._open = Math.Max(0, state.Open);
        (restored._openSum, restored._openSquares, restored._mean, restored._deviation) = (state.OpenSum, state.OpenSquares, state.Mean, state.Deviation);
        return restored;
    }
}

/// <summary>One reading's anomaly score and whether novelty made it.</summary>
/// <param name="Value">The score in [0, 1]; an episode opens at <see cref="AnomalyOptions.Threshold"/>.</param>
/// <param name="Novel">Whether the value lay far outside the sensor's range so far.</param>
internal readonly record struct AnomalyScore(double Value, bool Novel);

/// <summary>An <see cref="AnomalyScorer"/> as a checkpoint holds it.</summary>
/// <param name="Seen">Readings seen.</param>
/// <param name="Min">Lowest value seen (NaN before the first).</param>
/// <param name="Max">Highest value seen (NaN before the first).</param>
/// <param name="Suppress">Readings still suppressed after the last detection.</param>
/// <param name="Near">The one-step likelihood.</param>
/// <param name="Far">The full-horizon likelihood.</param>
/// <param name="Season">The seasonal likelihood (null in a scorer state from before it).</param>
/// <param name="Profile">The seasonal profile (null when <see cref="AnomalyOptions.SeasonPeriod"/> is 0).</param>
[GenerateSerializer, Immutable, Alias("Forecast.AnomalyScorerState")]
internal sealed record AnomalyScorerState(
    [property: Id(0)] long Seen,
    [property: Id(1)] double Min,
    [property: Id(2)] double Max,
    [property: Id(3)] int Suppress,
    [property: Id(4)] SurpriseLikelihoodState Near,
    [property: Id(5)] SurpriseLikelihoodState Far,
    [property: Id(6)] SurpriseLikelihoodState? Season = null,
    [property: Id(7)] SeasonalProfileState? Profile = null);

/// <summary>A <see cref="SurpriseLikelihood"/> as a checkpoint holds it; the arrays are its own copies.</summary>
/// <param name="Recent">The short window of raw scores (a ring).</param>
/// <param name="RecentNext">Next slot of <paramref name="Recent"/>.</param>
/// <param name="RecentCount">Slots of <paramref name="Recent"/> in use.</param>
/// <param name="Blocks">Closed blocks' mean and mean square, interleaved (a ring).</param>
/// <param name="BlockNext">Next block slot.</param>
/// <param name="BlockCount">Block slots in use.</param>
/// <param name="Open">Readings in the open block.</param>
/// <param name="OpenSum">Their sum of averages.</param>
/// <param name="OpenSquares">Their sum of squared averages.</param>
/// <param name="Mean">The fitted Gaussian's mean (NaN before the first block closed).</param>
/// <param name="Deviation">Its standard deviation.</param>
[GenerateSerializer, Immutable, Alias("Forecast.SurpriseLikelihoodState")]
internal sealed record SurpriseLikelihoodState(
    [property: Id(0)] float[] Recent,
    [property: Id(1)] int RecentNext,
    [property: Id(2)] int RecentCount,
    [property: Id(3)] float[] Blocks,
    [property: Id(4)] int BlockNext,
    [property: Id(5)] int BlockCount,
    [property: Id(6)] int Open,
    [property: Id(7)] double OpenSum,
    [property: Id(8)] double OpenSquares,
    [property: Id(9)] double Mean,
    [property: Id(10)] double Deviation);
