using Forecast.Dashboard.History;

namespace Forecast.Dashboard.Tests;

public sealed class RecentHistoryTests
{
    private static RecentHistory History(int points = 600, int quiet = 5) =>
        new(new DashboardOptions { HistoryPoints = points, EpisodeQuietReadings = quiet, RecentAnomalies = 10 });

    [Fact]
    public void Record_PairsEachReadingWithTheStepOneForecastIssuedAtTheReadingBefore()
    {
        var history = History();
        history.Record(Batches.Readings("pump-7/temp", 0, 3));
        history.Record(Batches.Readings("pump-7/temp", 3, 2));

        var points = history.Find("pump-7/temp")!.Series(long.MinValue, long.MaxValue, 100).Points;

        Assert.Equal([0f, 1, 2, 3, 4], points.Select(p => p.Value));
        Assert.False(points[0].HasForecast);
        // Reading i was forecast at reading i - 1 as (i - 1) + 1 = i, band ±0.5, across batches too.
        Assert.All(points.Skip(1), p => Assert.Equal((p.Value, p.Value - 0.5f, p.Value + 0.5f), (p.Mean, p.Lower, p.Upper)));
        Assert.Equal(Batches.Start.AddSeconds(4).ToUnixTimeMilliseconds(), points[^1].TimeMs);
        Assert.Equal(5, history.Readings);
    }

    [Fact]
    public void Record_KeepsTheNewestPoints_WhenTheRingIsFull()
    {
        var history = History(points: 10);
        history.Record(Batches.Readings("s", 0, 7));
        history.Record(Batches.Readings("s", 7, 18));

        var points = history.Find("s")!.Series(long.MinValue, long.MaxValue, 100).Points;

        Assert.Equal(Enumerable.Range(15, 10).Select(i => (float)i), points.Select(p => p.Value));
    }

    [Fact]
    public void Series_ReturnsTheRange_CappedToItsNewestPoints()
    {
        var history = History();
        history.Record(Batches.Readings("s", 0, 100));
        var sensor = history.Find("s")!;
        var from = Batches.Start.AddSeconds(10).ToUnixTimeMilliseconds();
        var to = Batches.Start.AddSeconds(59).ToUnixTimeMilliseconds();

        var all = sensor.Series(from, to, 1_000);
        var capped = sensor.Series(from, to, 20);

        Assert.Equal(Enumerable.Range(10, 50).Select(i => (float)i), all.Points.Select(p => p.Value));
        Assert.False(all.Truncated);
        Assert.Equal(Enumerable.Range(40, 20).Select(i => (float)i), capped.Points.Select(p => p.Value));
        Assert.True(capped.Truncated);
    }

    [Fact]
    public void Record_OpensAnEpisodeWithAnAnomaly_AndClosesItAfterQuietReadingsInTheBand()
    {
        var history = History(quiet: 3);
        // The anomaly at reading 4 counts after reading 4: readings 5 and 6 are in their band, 2 of the 3 needed.
        history.Record(Batches.Readings("s", 0, 7, anomalies: Batches.Anomaly("s", 4, AnomalySeverity.Critical)));
        var open = history.Find("s")!.Summary();
        var openCritical = history.Counts().OpenCritical;
        history.Record(Batches.Readings("s", 7, 1));
        var closed = history.Find("s")!.Summary();

        Assert.Equal(AnomalySeverity.Critical, open.OpenEpisode);
        Assert.Equal(1, openCritical);
        Assert.Null(closed.OpenEpisode);
        Assert.Equal(Batches.Start.AddSeconds(4), closed.LastAnomaly!.Timestamp);
    }

    [Fact]
    public void Record_KeepsAnEpisodeOpen_WhileReadingsLeaveTheBand()
    {
        var history = History(quiet: 2);
        history.Record(Batches.Readings("s", 0, 3, anomalies: Batches.Anomaly("s", 2)));
        // Readings far from what was forecast: never quiet.
        var far = new SinkBatch(
            [new SensorReading("s", Batches.Start.AddSeconds(3), 100), new SensorReading("s", Batches.Start.AddSeconds(4), 100)],
            [new Prediction("s", "lstm-test@1", Batches.Start.AddSeconds(3), [new ForecastStep(1, Batches.Start.AddSeconds(4), 0, -1, 1)]),
             new Prediction("s", "lstm-test@1", Batches.Start.AddSeconds(4), [new ForecastStep(1, Batches.Start.AddSeconds(5), 0, -1, 1)])],
            []);
        history.Record(far);

        var counts = history.Counts();
        Assert.Equal((1, 0), (counts.OpenWarning, counts.OpenCritical));
    }

    [Fact]
    public void Anomalies_AreNewestFirst_FilteredBySeverityAndTime_AndBounded()
    {
        var history = History();
        history.Record(Batches.Readings("a", 0, 20, anomalies: [Batches.Anomaly("a", 2), Batches.Anomaly("a", 5, AnomalySeverity.Critical, episodeStart: 2)]));
        history.Record(Batches.Readings("b", 0, 20, anomalies: Batches.Anomaly("b", 9)));

        Assert.Equal([9, 5, 2], history.Anomalies(null, null, 10).Select(a => (int)a.Value));
        Assert.Equal([9, 2], history.Anomalies(null, AnomalySeverity.Warning, 10).Select(a => (int)a.Value));
        Assert.Equal([9, 5], history.Anomalies(Batches.Start.AddSeconds(5), null, 10).Select(a => (int)a.Value));
        Assert.Equal([9], history.Anomalies(null, null, 1).Select(a => (int)a.Value));
        Assert.Equal(3, history.AnomalyEvents);
    }

    [Fact]
    public void Anomalies_KeepTheRecentOnes_WhenMoreArrive()
    {
        var history = History();
        history.Record(Batches.Readings("s", 0, 30, anomalies: [.. Enumerable.Range(0, 25).Select(i => Batches.Anomaly("s", i))]));

        Assert.Equal(Enumerable.Range(15, 10).Reverse(), history.Anomalies(null, null, 100).Select(a => (int)a.Value));
    }

    [Fact]
    public void Sensors_MatchASubstringIgnoringCase_InIdOrder_UpToTheLimit()
    {
        var history = History();
        foreach (var id in new[] { "plant-b/pump-2", "plant-a/Pump-1", "plant-a/valve-1", "plant-a/pump-3" })
        {
            history.Record(Batches.Readings(id, 0, 2));
        }

        var pumps = history.Sensors("PUMP", 2, out var matched);
        var all = history.Sensors(null, 10, out var total);

        Assert.Equal(["plant-a/Pump-1", "plant-a/pump-3"], pumps.Select(s => s.Id));
        Assert.Equal(3, matched);
        Assert.Equal(4, total);
        Assert.Equal(4, all.Count);
        Assert.Equal((1f, "lstm-test@1", 2), (pumps[0].LastValue!.Value, pumps[0].Model, pumps[0].Points));
        Assert.Equal(2, pumps[0].Latest!.Steps[0].Mean);
    }

    [Fact]
    public void Counts_GroupSensorsByTheModelOfTheirLatestPrediction()
    {
        var history = History();
        history.Record(Batches.Readings("a", 0, 2, model: "lstm@1"));
        history.Record(Batches.Readings("b", 0, 2, model: "lstm@1"));
        history.Record(Batches.Readings("c", 0, 2, model: "lstm@1"));
        history.Record(Batches.Readings("c", 2, 2, model: "lstm@2"));

        var counts = history.Counts();

        Assert.Equal(3, counts.Sensors);
        Assert.Equal(new Dictionary<string, int> { ["lstm@1"] = 2, ["lstm@2"] = 1 }, counts.Models);
    }

    [Fact]
    public void Record_TakesBatchesOfSeveralSensors_AndPredictionsWithoutReadings()
    {
        var history = History();
        var a = Batches.Readings("a", 0, 2);
        var b = Batches.Readings("b", 0, 3);
        history.Record(new SinkBatch([.. a.Readings, .. b.Readings], [.. a.Predictions, .. b.Predictions], []));
        history.Record(new SinkBatch([], [Batches.Readings("c", 0, 1).Predictions[0]], [Batches.Anomaly("d", 1)]));

        Assert.Equal((2, 3), (history.Find("a")!.Summary().Points, history.Find("b")!.Summary().Points));
        Assert.Equal("lstm-test@1", history.Find("c")!.Summary().Model);
        Assert.Equal(AnomalySeverity.Warning, history.Find("d")!.Summary().OpenEpisode);
    }

    [Fact]
    public void Record_AllocatesNothing_OnceTheRingIsFull()
    {
        var history = History(points: 100);
        var batch = Batches.Readings("s", 0, 50);
        for (var i = 0; i < 5; i++)
        {
            history.Record(batch);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            history.Record(batch);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
