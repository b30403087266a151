using Forecast.Abstractions;

namespace Forecast.Grains;

/// <summary>
/// The anomaly episode state machine of one sensor. An episode opens on a high anomaly score (see
/// <see cref="AnomalyScorer"/>), becomes critical on a novel value or a very high surprise, and closes
/// after <see cref="AnomalyOptions.CloseAfter"/> quiet readings in a row. Only opening and escalation
/// are reported, so a long excursion raises one or two events, not one per reading.
/// </summary>
internal sealed class AnomalyEpisode
{
    private int _quiet;

    public bool IsOpen { get; private set; }

    public DateTimeOffset Start { get; private set; }

    public AnomalySeverity Severity { get; private set; }

    /// <summary>Readings seen since the episode opened, the opening one included.</summary>
    public int Length { get; private set; }

    /// <summary>Consecutive quiet readings of the open episode.</summary>
    public int Quiet => _quiet;

    /// <summary>An episode as a checkpoint left it.</summary>
    public static AnomalyEpisode From(AnomalyEpisodeState state) =>
        new() { IsOpen = state.IsOpen, Start = state.Start, Severity = state.Severity, Length = state.Length, _quiet = state.Quiet };

    /// <summary>The episode's state, for a checkpoint.</summary>
    public AnomalyEpisodeState ToState() => new(IsOpen, Start, Severity, Length, _quiet);

    /// <summary>
    /// Feeds one reading's anomaly score and surprise; returns the severity to report, or null when there
    /// is nothing new. An episode opens at <see cref="AnomalyOptions.Threshold"/>, is critical on a novel
    /// value or a surprise of <see cref="AnomalyOptions.CriticalScore"/>, and closes after
    /// <see cref="AnomalyOptions.CloseAfter"/> readings in a row with a surprise below
    /// <see cref="AnomalyOptions.CloseScore"/> (an unknown surprise, after a gap, counts as quiet).
    /// </summary>
    public AnomalySeverity? Observe(DateTimeOffset timestamp, AnomalyScore score, double surprise, AnomalyOptions options)
    {
        var critical = score.Novel || surprise >= options.CriticalScore;
        if (!IsOpen)
        {
            if (score.Value < options.Threshold)
            {
                return null;
            }

            IsOpen = true;
            Start = timestamp;
            Length = 1;
            _quiet = 0;
            Severity = critical ? AnomalySeverity.Critical : AnomalySeverity.Warning;
            return Severity;
        }

        Length++;
        if (critical && Severity == AnomalySeverity.Warning)
        {
            Severity = AnomalySeverity.Critical;
            _quiet = 0;
            return Severity;
        }

        _quiet = surprise >= options.CloseScore ? 0 : _quiet + 1;
        if (_quiet >= options.CloseAfter)
        {
            IsOpen = false;
        }

        return null;
    }
}

/// <summary>An <see cref="AnomalyEpisode"/> as a checkpoint holds it.</summary>
/// <param name="IsOpen">Whether an episode is open.</param>
/// <param name="Start">Event time of the reading that opened the last episode.</param>
/// <param name="Severity">Its severity so far.</param>
/// <param name="Length">Its readings, the opening one included.</param>
/// <param name="Quiet">Its consecutive quiet readings.</param>
[GenerateSerializer, Immutable, Alias("Forecast.AnomalyEpisodeState")]
internal sealed record AnomalyEpisodeState(
    [property: Id(0)] bool IsOpen,
    [property: Id(1)] DateTimeOffset Start,
    [property: Id(2)] AnomalySeverity Severity,
    [property: Id(3)] int Length,
    [property: Id(4)] int Quiet);
