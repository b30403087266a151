namespace Forecast.Grains.Tests;

public sealed class AlertLifecycleTests
{
    private static readonly AnomalyOptions Episodes = new() { Threshold = 0.5, CriticalScore = 10, CloseScore = 3, CloseAfter = 1 };
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void An_alert_opens_with_its_episode_escalates_with_it_and_resolves_when_it_closes()
    {
        var sensor = new Sensor(new AlertRuleOptions());

        var opened = sensor.Read(0, score: 0.6, surprise: 6);
        var escalated = sensor.Read(1, score: 0.9, surprise: 12);
        var quiet = sensor.Read(2, score: 0, surprise: 7);
        var resolved = sensor.Read(3, score: 0, surprise: 1);

        Assert.Equal((AlertEventKind.Opened, AnomalySeverity.Warning), (opened!.Kind, opened.Severity));
        Assert.Equal((AlertEventKind.Escalated, AnomalySeverity.Critical), (escalated!.Kind, escalated.Severity));
        Assert.Null(quiet);
        Assert.Equal((AlertEventKind.Resolved, AnomalySeverity.Critical), (resolved!.Kind, resolved.Severity));
        Assert.All(new[] { opened, escalated, resolved }, e => Assert.Equal((T0, opened.Fingerprint, "pump-1"), (e.StartsAt, e.Fingerprint, e.SensorId)));
        Assert.Equal(3, new[] { opened.Id, escalated.Id, resolved.Id }.Distinct().Count());
        Assert.Equal(T0.AddMinutes(3), resolved.Timestamp);
        Assert.True(sensor.Alert.Idle is false, "an opening within the hour is remembered for flap suppression");
    }

    [Fact]
    public void OpenAfter_waits_for_the_episode_to_last_and_a_short_episode_raises_nothing()
    {
        var sensor = new Sensor(new AlertRuleOptions { OpenAfter = TimeSpan.FromMinutes(2) });

        Assert.Null(sensor.Read(0, score: 0.6, surprise: 6));
        Assert.Null(sensor.Read(1, score: 0.6, surprise: 6));
        Assert.Null(sensor.Read(2, score: 0, surprise: 1)); // closed after two minutes' readings: too short

        Assert.Null(sensor.Read(10, score: 0.6, surprise: 6));
        Assert.Null(sensor.Read(11, score: 0.6, surprise: 6));
        var opened = sensor.Read(12, score: 0.6, surprise: 6);
        Assert.Equal(AlertEventKind.Opened, opened!.Kind);
        Assert.Equal(T0.AddMinutes(10), opened.StartsAt);
    }

    [Fact]
    public void KeepFiringFor_holds_the_alert_across_a_short_quiet_spell()
    {
        var sensor = new Sensor(new AlertRuleOptions { KeepFiringFor = TimeSpan.FromMinutes(5) });

        Assert.Equal(AlertEventKind.Opened, sensor.Read(0, score: 0.6, surprise: 6)!.Kind);
        Assert.Null(sensor.Read(1, score: 0, surprise: 1)); // episode closed, alert keeps firing
        Assert.Null(sensor.Read(3, score: 0.6, surprise: 6)); // episode again: same alert, no new opening
        Assert.Null(sensor.Read(4, score: 0, surprise: 1));
        Assert.Null(sensor.Read(8, score: 0, surprise: 1));
        Assert.Equal(AlertEventKind.Resolved, sensor.Read(9, score: 0, surprise: 1)!.Kind);
    }

    [Fact]
    public void After_MaxOpeningsPerHour_the_alert_is_held_open_as_flapping_until_the_oldest_opening_is_an_hour_old()
    {
        var sensor = new Sensor(new AlertRuleOptions { MaxOpeningsPerHour = 2 });

        Assert.Equal(AlertEventKind.Opened, sensor.Read(0, score: 0.6, surprise: 6)!.Kind);
        Assert.Equal(AlertEventKind.Resolved, sensor.Read(1, score: 0, surprise: 1)!.Kind);
        Assert.Equal(AlertEventKind.Opened, sensor.Read(10, score: 0.6, surprise: 6)!.Kind);
        var flapping = sensor.Read(11, score: 0, surprise: 1);
        Assert.Equal((AlertEventKind.Escalated, true), (flapping!.Kind, flapping.Flapping));
        Assert.Null(sensor.Read(20, score: 0.6, surprise: 6)); // still the same alert
        Assert.Null(sensor.Read(21, score: 0, surprise: 1));
        Assert.Null(sensor.Read(59, score: 0, surprise: 1));

        var resolved = sensor.Read(60, score: 0, surprise: 1);
        Assert.Equal((AlertEventKind.Resolved, true), (resolved!.Kind, resolved.Flapping));
    }

    [Fact]
    public void A_replay_from_a_checkpoint_raises_the_same_event_ids()
    {
        var first = new Sensor(new AlertRuleOptions());
        first.Read(0, score: 0.6, surprise: 6);
        var (alert, episode) = (first.Alert.ToState(), first.Episode.ToState());
        var original = first.Read(1, score: 0, surprise: 1);

        var replayed = new Sensor(new AlertRuleOptions(), AlertLifecycle.From(alert), AnomalyEpisode.From(episode)).Read(1, score: 0, surprise: 1);

        Assert.Equal(AlertEventKind.Resolved, original!.Kind);
        Assert.Equal(original.Id, replayed!.Id);
    }

    [Theory]
    [InlineData("has space", 0, 0, 6)]
    [InlineData("ForecastAnomaly", -1, 0, 6)]
    [InlineData("ForecastAnomaly", 0, -1, 6)]
    [InlineData("ForecastAnomaly", 0, 0, -1)]
    public void Bad_rules_are_refused(string rule, int openAfterMinutes, int keepFiringMinutes, int maxOpenings)
    {
        var options = new AlertRuleOptions
        {
            Rule = rule,
            OpenAfter = TimeSpan.FromMinutes(openAfterMinutes),
            KeepFiringFor = TimeSpan.FromMinutes(keepFiringMinutes),
            MaxOpeningsPerHour = maxOpenings,
        };

        Assert.Single(new AlertRuleOptionsValidator().Validate(null, options).Failures!);
    }

    /// <summary>One sensor's episode and alert, fed scores minute by minute.</summary>
    private sealed class Sensor(AlertRuleOptions rules, AlertLifecycle? alert = null, AnomalyEpisode? episode = null)
    {
        public AlertLifecycle Alert { get; } = alert ?? new AlertLifecycle();

        public AnomalyEpisode Episode { get; } = episode ?? new AnomalyEpisode();

        public AlertEvent? Read(int minute, double score, double surprise)
        {
            var at = T0.AddMinutes(minute);
            Episode.Observe(at, new AnomalyScore(score, false), surprise, Episodes);
            return Alert.Observe("pump-1", new AlertReading(at, 42, 20, 18, 22, surprise, "lstm@1"), Episode, rules);
        }
    }
}
