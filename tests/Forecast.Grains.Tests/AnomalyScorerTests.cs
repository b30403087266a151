using Orleans.Serialization;
using Orleans.Storage;

namespace Forecast.Grains.Tests;

public sealed class AnomalyScorerTests
{
    private const double Band = 1.6449;

    private static readonly AnomalyOptions Options = new() { LearningReadings = 100, EstimationBlock = 20, EstimationBlocks = 8, SuppressReadings = 10 };

    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    // Readings one minute apart; the season (a day) sees each bin about 30 times a day.
    private static AnomalyScore Observe(AnomalyScorer scorer, double value, double near, double far, AnomalyOptions? options = null) =>
        scorer.Observe(new ScorerInput(T0.AddMinutes(scorer.Seen), value, TimeSpan.FromMinutes(1), near, far, Band), options ?? Options);

    /// <summary>Ordinary noise: surprises of about one error scale, from a fixed seed.</summary>
    private static double Noise(Random random) => Math.Abs(random.NextDouble() * 2);

    [Fact]
    public void Observe_DecidesNothing_DuringTheLearningPeriod()
    {
        var scorer = new AnomalyScorer(Options);

        for (var i = 0; i < Options.LearningReadings; i++)
        {
            Assert.Equal(default, Observe(scorer, i == 50 ? 1e6 : 10, 50, 50));
        }

        Assert.Equal(Options.LearningReadings, scorer.Seen);
    }

    [Fact]
    public void Observe_ScoresARunOfHighSurprises_AboveTheThreshold_AfterOrdinaryNoise()
    {
        var (scorer, random) = (new AnomalyScorer(Options), new Random(7));
        for (var i = 0; i < 300; i++)
        {
            var quiet = Observe(scorer, 10, Noise(random), Noise(random));
            Assert.True(i < Options.LearningReadings || quiet.Value < Options.Threshold, $"reading {i} scored {quiet.Value}");
        }

        var scores = Enumerable.Range(0, 5).Select(_ => Observe(scorer, 10, 8, 8).Value).ToArray();

        Assert.Contains(scores, s => s >= Options.Threshold);
        Assert.All(scores, s => Assert.InRange(s, 0, 1));
    }

    [Fact]
    public void Observe_HoldsScoresAtZero_AfterADetection_SoOneEventRaisesOneAlert()
    {
        var (scorer, random) = (new AnomalyScorer(Options), new Random(8));
        for (var i = 0; i < 300; i++)
        {
            Observe(scorer, 10 + random.NextDouble(), Noise(random), Noise(random));
        }

        var detection = Observe(scorer, 500, 40, 40);
        var after = Enumerable.Range(0, Options.SuppressReadings).Select(_ => Observe(scorer, 500, 40, 40)).ToArray();

        Assert.Equal(new AnomalyScore(1, Novel: true), detection);
        Assert.All(after, s => Assert.Equal(default, s));
    }

    [Fact]
    public void Observe_DetectsAnEventThatLasts_Once_AndTheNextEventAfterTheSensorWasBackToOrdinary()
    {
        var (scorer, random) = (new AnomalyScorer(Options), new Random(8));
        for (var i = 0; i < 300; i++)
        {
            Observe(scorer, 10 + random.NextDouble(), Noise(random), Noise(random));
        }

        // Ten times the suppression of surprises far beyond the sensor's noise: one event, one detection.
        var during = Enumerable.Range(0, 10 * Options.SuppressReadings).Select(_ => Observe(scorer, 10 + random.NextDouble(), 40, 40)).ToArray();
        Assert.Single(during, s => s.Value >= Options.Threshold);

        for (var i = 0; i < 200; i++)
        {
            Observe(scorer, 10 + random.NextDouble(), Noise(random), Noise(random));
        }

        Assert.True(Observe(scorer, 500, 40, 40).Value >= Options.Threshold);
    }

    [Fact]
    public void Observe_CallsAValueFarOutsideTheRangeNovel_OnlyWhenItsForecastMissedItToo()
    {
        var (scorer, random) = (new AnomalyScorer(Options), new Random(9));
        for (var i = 0; i < 300; i++)
        {
            Observe(scorer, 10 + random.NextDouble(), Noise(random), Noise(random));
        }

        // 12 is 2 ranges above the highest value, but the model saw it coming (inside the band).
        Assert.False(Observe(scorer, 12, 0.5, 0.5).Novel);
        Assert.True(Observe(scorer, 14, 30, 30).Novel);
    }

    [Fact]
    public void Observe_StaysQuietAndFinite_OnAConstantSensor_AndWithoutSurprises()
    {
        var scorer = new AnomalyScorer(Options);

        var scores = Enumerable.Range(0, 1000).Select(i => Observe(scorer, 5, 0, i % 3 == 0 ? double.NaN : 0)).ToArray();

        Assert.All(scores, s => Assert.InRange(s.Value, 0, Options.Threshold - 0.1));
    }

    [Fact]
    public void ToState_RoundTripsThroughGrainStorage_AndTheRestoredScorerContinuesTheSame()
    {
        var (live, random) = (new AnomalyScorer(Options), new Random(10));
        for (var i = 0; i < 257; i++)
        {
            Observe(live, 10 + random.NextDouble(), Noise(random), Noise(random));
        }

        var storage = new OrleansGrainStorageSerializer(new ServiceCollection()
            .AddSerializer(serializer => serializer.AddAssembly(typeof(SensorState).Assembly))
            .BuildServiceProvider()
            .GetRequiredService<Serializer>());
        var stored = storage.Deserialize<SensorState>(storage.Serialize(new SensorState { Scorer = live.ToState() }))!.Scorer!;
        var restored = AnomalyScorer.From(stored, Options);
        Assert.Equal(live.Seen, restored.Seen);

        for (var i = 0; i < 50; i++)
        {
            var (near, far) = (Noise(random) * (i % 7 == 0 ? 6 : 1), Noise(random));
            Assert.Equal(Observe(live, 10, near, far), Observe(restored, 10, near, far));
        }
    }

    [Fact]
    public void Observe_ScoresADayUnlikeTheDaysBefore_ThroughTheSeason()
    {
        // Busy from 08:00 to 18:00 and quiet at night, every 5 minutes, perfectly forecast one step ahead;
        // on the fifth day the busy hours do not come. Only the season can tell.
        var options = new AnomalyOptions();
        var scorer = new AnomalyScorer(options);
        var random = new Random(11);
        var scores = new List<(int Day, AnomalyScore Score)>();
        for (var i = 0; i < 6 * 288; i++)
        {
            var (day, hour) = (i / 288, i % 288 / 12);
            var busy = hour is >= 8 and < 18 && day != 4;
            var input = new ScorerInput(T0.AddMinutes(5 * i), (busy ? 80 : 20) + random.NextDouble(), TimeSpan.FromMinutes(5), Noise(random), Noise(random), Band);
            scores.Add((day, scorer.Observe(input, options)));
        }

        Assert.All(scores.Where(s => s.Day is >= 2 and < 4), s => Assert.True(s.Score.Value < options.Threshold, $"{s.Score} on day {s.Day}"));
        Assert.Contains(scores, s => s.Day == 4 && s.Score.Value >= options.Threshold && !s.Score.Novel);
    }

    [Fact]
    public void Learn_CountsTowardsLearning_ButNeverDecides_NorHoldsLaterScores()
    {
        var (scorer, random) = (new AnomalyScorer(Options), new Random(12));
        for (var i = 0; i < 300; i++)
        {
            Observe(scorer, 10 + random.NextDouble(), Noise(random), Noise(random));
        }

        // A wild value no forecast judged (after a long gap): learned, but it is no detection and starts no suppression.
        scorer.Learn(T0.AddMinutes(scorer.Seen), 1e6, TimeSpan.FromMinutes(1), Options);

        Assert.Equal(301, scorer.Seen);
        Assert.True(Observe(scorer, 2e6, 40, 40).Novel);
    }

    [Fact]
    public void From_StartsAfresh_WhenTheStateDoesNotFitTheOptions()
    {
        var state = new AnomalyScorer(Options).ToState();

        var restored = AnomalyScorer.From(state, new AnomalyOptions { ShortWindow = 3 });

        Assert.Equal(0, restored.Seen);
    }
}
