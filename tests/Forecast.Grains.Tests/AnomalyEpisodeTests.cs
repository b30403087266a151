namespace Forecast.Grains.Tests;

public sealed class AnomalyEpisodeTests
{
    private static readonly AnomalyOptions Options = new() { OpenScore = 5, CriticalScore = 10, CloseScore = 3, CloseAfter = 3, ClampReadings = 2 };
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Observe_StaysClosed_WhenScoresAreLow()
    {
        var episode = new AnomalyEpisode();
        Assert.All(new[] { 0.5, 2, 4.9 }, score => Assert.Null(episode.Observe(T0, score, Options)));
        Assert.False(episode.IsOpen);
    }

    [Fact]
    public void Observe_ReportsOpeningOnce_ThenNothingWhileHigh()
    {
        var episode = new AnomalyEpisode();

        Assert.Equal(AnomalySeverity.Warning, episode.Observe(T0, 6, Options));
        Assert.Null(episode.Observe(T0.AddMinutes(1), 7, Options));
        Assert.Null(episode.Observe(T0.AddMinutes(2), 6, Options));
        Assert.True(episode.IsOpen);
        Assert.Equal(T0, episode.Start);
    }

    [Fact]
    public void Observe_ReportsEscalationToCritical_Once()
    {
        var episode = new AnomalyEpisode();
        episode.Observe(T0, 6, Options);

        Assert.Equal(AnomalySeverity.Critical, episode.Observe(T0.AddMinutes(1), 12, Options));
        Assert.Null(episode.Observe(T0.AddMinutes(2), 15, Options));
    }

    [Fact]
    public void Observe_OpensCritical_WhenFirstScoreIsCritical()
    {
        var episode = new AnomalyEpisode();
        Assert.Equal(AnomalySeverity.Critical, episode.Observe(T0, 11, Options));
    }

    [Fact]
    public void Observe_ClosesAfterConsecutiveQuietReadings_AndAQuietRunIsResetByANoisyOne()
    {
        var episode = new AnomalyEpisode();
        episode.Observe(T0, 6, Options);

        episode.Observe(T0.AddMinutes(1), 1, Options);
        episode.Observe(T0.AddMinutes(2), 1, Options);
        episode.Observe(T0.AddMinutes(3), 4, Options); // between close and open: not quiet
        episode.Observe(T0.AddMinutes(4), 1, Options);
        episode.Observe(T0.AddMinutes(5), 1, Options);
        Assert.True(episode.IsOpen);

        episode.Observe(T0.AddMinutes(6), 1, Options);
        Assert.False(episode.IsOpen);
    }

    [Fact]
    public void Observe_OpensANewEpisode_AfterClosing()
    {
        var episode = new AnomalyEpisode();
        episode.Observe(T0, 6, Options);
        for (var i = 1; i <= 3; i++)
        {
            episode.Observe(T0.AddMinutes(i), 0, Options);
        }

        Assert.Equal(AnomalySeverity.Warning, episode.Observe(T0.AddMinutes(10), 8, Options));
        Assert.Equal(T0.AddMinutes(10), episode.Start);
    }

    [Fact]
    public void ShouldClamp_OnlyEarlyInAnEpisode_AndOnlyForHighScores()
    {
        var episode = new AnomalyEpisode();
        Assert.False(episode.ShouldClamp(9, Options));

        episode.Observe(T0, 9, Options);
        Assert.True(episode.ShouldClamp(9, Options));
        Assert.False(episode.ShouldClamp(2, Options));

        episode.Observe(T0.AddMinutes(1), 9, Options);
        Assert.True(episode.ShouldClamp(9, Options));
        episode.Observe(T0.AddMinutes(2), 9, Options);
        Assert.False(episode.ShouldClamp(9, Options)); // a lasting shift is fed through so the model adapts
    }
}
