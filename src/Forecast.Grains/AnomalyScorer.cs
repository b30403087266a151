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
/// held at 0, and after them every score until one falls below <see cref="AnomalyOptions.RearmScore"/>,
/// so one event raises one alert however long it lasts. Fixed in size (about 1 KB), and checkpointed with the stream.
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
    private bool _held;
    private TimeSpan _weightInterval = TimeSpan.MinValue;
    private double _weight;

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

    /// <summary>Scores one reading that forecasts judged.</summary>
    public AnomalyScore Observe(in ScorerInput input, AnomalyOptions options)
    {
        var learning = ++Seen <= options.LearningReadings;

        // A value outside the range is novel only when it is outside its forecast's band too: a level the
        // model follows as it trends away is not an event.
        var novel = !learning && !(input.NearSurprise < input.BandZ) && IsNovel(input.Value, options);

        // Every likelihood learns during the learning period and the suppression; only the decision waits.
        var likelihood = Math.Max(
            Math.Max(_near.Observe(input.NearSurprise, options), _far.Observe(input.FarSurprise, options)),
            LearnSeason(input.Timestamp, input.Value, input.Interval, options));
        if (learning)
        {
            return default;
        }

        var score = novel ? 1 : likelihood;
        if (_suppress > 0 || _held)
        {
            // One event, one detection: after the suppression a new one also needs the score to have been back
            // to ordinary in between, or a long event would be detected again every SuppressReadings.
            _suppress = Math.Max(0, _suppress - 1);
            _held &= score >= options.RearmScore;
            return default;
        }

        if (score >= options.Threshold)
        {
            (_suppress, _held) = (options.SuppressReadings, true);
        }

        return new AnomalyScore(score, novel);
    }

    /// <summary>
    /// Learns from a reading no forecast judges (the model's warm-up, or after a gap longer than the
    /// horizon): its range and season. It counts towards the learning period and decides nothing.
    /// </summary>
    public void Learn(DateTimeOffset timestamp, double value, TimeSpan interval, AnomalyOptions options)
    {
        Seen++;
        LearnSeason(timestamp, value, interval, options);
    }

    /// <summary>The seasonal likelihood of the value (0 without a season), after which the range takes it in.</summary>
    private double LearnSeason(DateTimeOffset timestamp, double value, TimeSpan interval, AnomalyOptions options)
    {
        var seasonal = double.NaN;
        if (_profile is not null)
        {
            if (interval != _weightInterval)
            {
                // Fixed once the warm-up fixes the interval, so it is worked out once, not per reading.
                (_weightInterval, _weight) = (interval, SeasonalProfile.Weight(interval, options));
            }

            seasonal = _profile.Observe(timestamp, value, options.SeasonFloor * (_max - _min), _weight, options);
        }

        _min = double.IsNaN(_min) ? value : Math.Min(_min, value);
        _max = double.IsNaN(_max) ? value : Math.Max(_max, value);
        return _season.Observe(seasonal, options);
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
            ? new AnomalyScorer(near!, far!, season!, profile) { Seen = state.Seen, _min = state.Min, _max = state.Max, _suppress = state.Suppress, _held = state.Held }
            : new AnomalyScorer(options);
    }

    /// <summary>The scorer's state, for a checkpoint.</summary>
    public AnomalyScorerState ToState() =>
        new(Seen, _min, _max, _suppress, _near.ToState(), _far.ToState(), _season.ToState(), _profile?.ToState(), _held);
}

/// <summary>What <see cref="AnomalyScorer"/> judges of one reading.</summary>
/// <param name="Timestamp">Its event time (its phase in the season).</param>
/// <param name="Value">Its value.</param>
/// <param name="Interval">The sensor's sampling interval.</param>
/// <param name="NearSurprise">Its absolute residual, in error scales, against the forecast made one step before; NaN where none.</param>
/// <param name="FarSurprise">The same against the forecast made a full horizon before.</param>
/// <param name="BandZ">Half-width of the model's prediction interval, in error scales.</param>
internal readonly record struct ScorerInput(
    DateTimeOffset Timestamp, double Value, TimeSpan Interval, double NearSurprise, double FarSurprise, double BandZ);

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
/// <param name="Held">Whether the last detection's event is still on: no new one until the score falls below <see cref="AnomalyOptions.RearmScore"/>.</param>
[GenerateSerializer, Immutable, Alias("Forecast.AnomalyScorerState")]
internal sealed record AnomalyScorerState(
    [property: Id(0)] long Seen,
    [property: Id(1)] double Min,
    [property: Id(2)] double Max,
    [property: Id(3)] int Suppress,
    [property: Id(4)] SurpriseLikelihoodState Near,
    [property: Id(5)] SurpriseLikelihoodState Far,
    [property: Id(6)] SurpriseLikelihoodState? Season = null,
    [property: Id(7)] SeasonalProfileState? Profile = null,
    [property: Id(8)] bool Held = false);
