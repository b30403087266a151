using Orleans.Serialization;
using Orleans.Storage;

namespace Forecast.Grains.Tests;

public sealed class AnomalyScorerTests
{
    private const double Band = 1.6449;

    private static readonly AnomalyOptions Options = new() { LearningReadings = 100, EstimationBlock = 20, EstimationBlocks = 8, SuppressReadings = 10 };

    /// <summary>Ordinary noise: surprises of about one error scale, from a fixed seed.</summary>
    private static double Noise(Random random) => Math.Abs(random.NextDouble() * 2);

    [Fact]
    public void Observe_DecidesNothing_DuringTheLearningPeriod()
    {
        var scorer = new AnomalyScorer(Options);

        for (var i = 0; i < Options.LearningReadings; i++)
        {
            Assert.Equal(default, scorer.Observe(i == 50 ? 1e6 : 10, 50, 50, Band, Options));
        }

        Assert.Equal(Options.LearningReadings, scorer.Seen);
    }

    [Fact]
    public void Observe_ScoresARunOfHighSurprises_AboveTheThreshold_AfterOrdinaryNoise()
    {
        var (scorer, random) = (new AnomalyScorer(Options), new Random(7));
        for (var i = 0; i < 300; i++)
        {
            var quiet = scorer.Observe(10, Noise(random), Noise(random), Band, Options);
            Assert.True(i < Options.LearningReadings || quiet.Value < Options.Threshold, $"reading {i} scored {quiet.Value}");
        }

        var scores = Enumerable.Range(0, 5).Select(_ => scorer.Observe(10, 8, 8, Band, Options).Value).ToArray();

        Assert.Contains(scores, s => s >= Options.Threshold);
        Assert.All(scores, s => Assert.InRange(s, 0, 1));
    }

    [Fact]
    public void Observe_HoldsScoresAtZero_AfterADetection_SoOneEventRaisesOneAlert()
    {
        var (scorer, random) = (new AnomalyScorer(Options), new Random(8));
        for (var i = 0; i < 300; i++)
        {
            scorer.Observe(10 + random.NextDouble(), Noise(random), Noise(random), Band, Options);
        }

        var detection = scorer.Observe(500, 40, 40, Band, Options);
        var after = Enumerable.Range(0, Options.SuppressReadings).Select(_ => scorer.Observe(500, 40, 40, Band, Options)).ToArray();

        Assert.Equal(new AnomalyScore(1, Novel: true), detection);
        Assert.All(after, s => Assert.Equal(default, s));
        Assert.True(scorer.Observe(500, 40, 40, Band, Options).Value > 0);
    }

    [Fact]
    public void Observe_CallsAValueFarOutsideTheRangeNovel_OnlyWhenItsForecastMissedItToo()
    {
        var (scorer, random) = (new AnomalyScorer(Options), new Random(9));
        for (var i = 0; i < 300; i++)
        {
            scorer.Observe(10 + random.NextDouble(), Noise(random), Noise(random), Band, Options);
        }

        // 12 is 2 ranges above the highest value, but the model saw it coming (inside the band).
        Assert.False(scorer.Observe(12, 0.5, 0.5, Band, Options).Novel);
        Assert.True(scorer.Observe(14, 30, 30, Band, Options).Novel);
    }

    [Fact]
    public void Observe_StaysQuietAndFinite_OnAConstantSensor_AndWithoutSurprises()
    {
        var scorer = new AnomalyScorer(Options);

        var scores = Enumerable.Range(0, 1000).Select(i => scorer.Observe(5, 0, i % 3 == 0 ? double.NaN : 0, Band, Options)).ToArray();

        Assert.All(scores, s => Assert.InRange(s.Value, 0, Options.Threshold - 0.1));
    }

    [Fact]
    public void ToState_RoundTripsThroughGrainStorage_AndTheRestoredScorerContinuesTheSame()
    {
        var (live, random) = (new AnomalyScorer(Options), new Random(10));
        for (var i = 0; i < 257; i++)
        {
            live.Observe(10 + random.NextDouble(), Noise(random), Noise(random), Band, Options);
        }

        var storage = new OrleansGrainStorageSerializer(new ServiceCollection()
            .AddSerializer(serializer => serializer.AddAssembly(typeof(SensorState).Assembly))
            .BuildServiceProvider()
            .GetRequiredService<Serializer>());
        var stored = storage.Deserialize<SensorState>(storage.Serialize(new SensorState { Scorer = live.ToState() }))!.Scorer!;
        var restored = AnomalyScorer.From(stored, Options);

        for (var i = 0; i < 50; i++)
        {
            var (near, far) = (Noise(random) * (i % 7 == 0 ? 6 : 1), Noise(random));
            Assert.Equal(live.Observe(10, near, far, Band, Options), restored.Observe(10, near, far, Band, Options));
        }
    }

    [Fact]
    public void From_StartsAfresh_WhenTheStateDoesNotFitTheOptions()
    {
        var state = new AnomalyScorer(Options).ToState();

        var restored = AnomalyScorer.From(state, new AnomalyOptions { ShortWindow = 3 });

        Assert.Equal(0, restored.Seen);
    }
}
