namespace Forecast.Grains.Tests;

public sealed class AnomalyEpisodeTests
{
    private static readonly AnomalyOptions Options = new() { Threshold = 0.5, CriticalScore = 10, CloseScore = 3, CloseAfter = 3 };
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 0, 0, 0, TimeSpan.Zero);

    private static AnomalyScore Score(double value, bool novel = false) => new(value, novel);

    [Fact]
    public void Observe_StaysClosed_WhenScoresAreBelowTheThreshold()
    {
        var episode = new AnomalyEpisode();
        Assert.All(new[] { 0, 0.2, 0.49 }, score => Assert.Null(episode.Observe(T0, Score(score), 9, Options)));
        Assert.False(episode.IsOpen);
    }

    [Fact]
    public void Observe_ReportsOpeningOnce_ThenNothingWhileHigh()
    {
        var episode = new AnomalyEpisode();

        Assert.Equal(AnomalySeverity.Warning, episode.Observe(T0, Score(0.6), 6, Options));
        Assert.Null(episode.Observe(T0.AddMinutes(1), Score(0.9), 7, Options));
        Assert.Null(episode.Observe(T0.AddMinutes(2), Score(0.7), 6, Options));
        Assert.True(episode.IsOpen);
        Assert.Equal(T0, episode.Start);
    }

    [Fact]
    public void Observe_ReportsEscalationToCritical_Once()
    {
        var episode = new AnomalyEpisode();
        episode.Observe(T0, Score(0.6), 6, Options);

        Assert.Equal(AnomalySeverity.Critical, episode.Observe(T0.AddMinutes(1), Score(0), 12, Options));
        Assert.Null(episode.Observe(T0.AddMinutes(2), Score(0), 15, Options));
    }

    [Fact]
    public void Observe_OpensCritical_ForAVeryHighSurprise_OrANovelValue()
    {
        Assert.Equal(AnomalySeverity.Critical, new AnomalyEpisode().Observe(T0, Score(0.6), 11, Options));
        Assert.Equal(AnomalySeverity.Critical, new AnomalyEpisode().Observe(T0, Score(1, novel: true), 4, Options));
    }

    [Fact]
    public void Observe_ClosesAfterConsecutiveQuietReadings_AndAQuietRunIsResetByANoisyOne()
    {
        var episode = new AnomalyEpisode();
        episode.Observe(T0, Score(0.6), 6, Options);

        episode.Observe(T0.AddMinutes(1), Score(0), 1, Options);
        episode.Observe(T0.AddMinutes(2), Score(0), 1, Options);
        episode.Observe(T0.AddMinutes(3), Score(0), 4, Options); // not quiet
        episode.Observe(T0.AddMinutes(4), Score(0), 1, Options);
        episode.Observe(T0.AddMinutes(5), Score(0), double.NaN, Options); // unknown after a gap: quiet
        Assert.True(episode.IsOpen);

        episode.Observe(T0.AddMinutes(6), Score(0), 1, Options);
        Assert.False(episode.IsOpen);
    }

    [Fact]
    public void Observe_OpensANewEpisode_AfterClosing()
    {
        var episode = new AnomalyEpisode();
        episode.Observe(T0, Score(0.6), 6, Options);
        for (var i = 1; i <= 3; i++)
        {
            episode.Observe(T0.AddMinutes(i), Score(0), 0, Options);
        }

        Assert.Equal(AnomalySeverity.Warning, episode.Observe(T0.AddMinutes(10), Score(0.8), 8, Options));
        Assert.Equal(T0.AddMinutes(10), episode.Start);
    }
}
