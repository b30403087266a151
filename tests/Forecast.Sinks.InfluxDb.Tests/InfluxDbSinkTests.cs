using System.Diagnostics.Metrics;

namespace Forecast.Sinks.InfluxDb.Tests;

/// <summary>The sink against a real InfluxDB 1.x, read back with InfluxQL.</summary>
[Collection(InfluxCollection.Name)]
public sealed class InfluxDbSinkTests(InfluxServerFixture fixture)
{
    private readonly InfluxServer _server = fixture.Server;

    private static async Task WriteAllAsync(InfluxDbSink sink, IEnumerable<SinkBatch> batches) =>
        await Task.WhenAll(batches.Select(b => sink.WriteAsync(b).AsTask())).WaitAsync(TimeSpan.FromSeconds(60));

    private static IEnumerable<SinkBatch> Grains(int sensors, int callsPerSensor, int readingsPerCall) =>
        from call in Enumerable.Range(0, callsPerSensor)
        from sensor in Enumerable.Range(0, sensors)
        select TestData.Batch($"sensor-{sensor:D3}", call * readingsPerCall, readingsPerCall);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task WriteAsync_StoresEveryPointWithItsValues(bool gzip)
    {
        var database = await _server.CreateDatabaseAsync("values");
        var options = TestData.V1(_server.Url, database);
        options.Gzip = gzip;
        options.BatchSize = 1_000;
        var batches = Grains(sensors: 20, callsPerSensor: 10, readingsPerCall: 5).ToList();
        var anomalies = new SinkBatch([], [], [TestData.Anomaly("sensor-007", 3, AnomalySeverity.Critical), TestData.Anomaly("sensor-008", 4)]);

        await using (var sink = InfluxDbSink.Create(options))
        {
            await WriteAllAsync(sink, [.. batches, anomalies]);
            Assert.Equal(InfluxDbSinkState.Healthy, sink.Health.State);
            Assert.Equal((20 * 10 * 5 * 3) + 2, sink.Health.WrittenPoints);
            Assert.Equal(0, sink.Health.BufferedLines);
        }

        // 1,000 predictions with steps 1 and 6 each, 1,000 readings, 2 anomalies.
        Assert.Equal(2_000, await _server.CountAsync(database, "prediction", "yhat"));
        Assert.Equal(1_000, await _server.CountAsync(database, "reading", "value"));
        Assert.Equal(2, await _server.CountAsync(database, "anomaly", "score"));

        var expected = TestData.Prediction("sensor-011", 17);
        var series = await _server.QueryAsync(database, "SELECT yhat, lower, upper FROM prediction WHERE sensor = 'sensor-011' AND model = 'lstm@1.0.0' GROUP BY step");
        Assert.Equal(["1", "6"], series.Select(s => s.Tags["step"]).Order());
        foreach (var s in series)
        {
            var step = expected.Steps[int.Parse(s.Tags["step"], System.Globalization.CultureInfo.InvariantCulture) - 1];
            var row = s.Rows.Single(r => (long)r[0]! == (step.TargetTime.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100);
            Assert.Equal(step.Mean, Convert.ToDouble(row[1], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(step.Lower, Convert.ToDouble(row[2], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(step.Upper, Convert.ToDouble(row[3], System.Globalization.CultureInfo.InvariantCulture));
        }

        var anomaly = (await _server.QueryAsync(database, "SELECT value, expected, score, lower, upper FROM anomaly WHERE severity = 'critical'")).Single();
        Assert.Equal([42.5, 20.25, 7.75, 18.0, 22.5], anomaly.Rows.Single().Skip(1).Select(v => Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal((TestData.Start.AddSeconds(30).UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100, anomaly.Rows.Single()[0]);
    }

    [Fact]
    public async Task WriteAsync_RecordsEachRequestsTimeToInfluxDbsAnswer()
    {
        var database = await _server.CreateDatabaseAsync("latency");
        var options = TestData.V1(_server.Url, database);
        options.BatchSize = 100;
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        var durations = new System.Collections.Concurrent.ConcurrentQueue<double>();
        using var listener = new MeterListener
        {
            // Only this sink's meter: other tests' sinks record on meters of the same name meanwhile.
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == meters && instrument.Name == "forecast.influxdb.request.duration")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, seconds, _, _) => durations.Enqueue(seconds));
        listener.Start();

        long requests;
        await using (var sink = InfluxDbSink.Create(options, meterFactory: meters))
        {
            await WriteAllAsync(sink, Grains(sensors: 10, callsPerSensor: 4, readingsPerCall: 5));
            requests = sink.Health.Requests;
        }

        // 600 lines in requests of at most 100.
        Assert.True(requests >= 6, $"{requests} requests");
        Assert.Equal(requests, durations.Count);
        Assert.All(durations, seconds => Assert.InRange(seconds, 1e-6, 30));
    }

    [Fact]
    public async Task WriteAsync_KeepsShadowForecastsApart_AndWritesModelMetrics()
    {
        var database = await _server.CreateDatabaseAsync("models");
        var served = TestData.Prediction("sensor-001", 3);
        var shadow = served with { Model = "gru@2", Stage = Prediction.ShadowStage };
        var at = TestData.Start.AddMinutes(5);

        await using (var sink = InfluxDbSink.Create(TestData.V1(_server.Url, database)))
        {
            await sink.WriteAsync(new SinkBatch([], [served], [], Shadow: [shadow]));
            await sink.WriteAsync(new SinkBatch([], [], [], [new ModelMetrics("gru@2", "shadow", at, 1_200, 0.25, 0.875)]));
        }

        var series = await _server.QueryAsync(database, "SELECT yhat FROM prediction WHERE sensor = 'sensor-001' GROUP BY model, stage");
        Assert.Equal(["gru@2 shadow", "lstm@1.0.0 "], series.Select(s => $"{s.Tags["model"]} {s.Tags["stage"]}").Order());
        var metrics = (await _server.QueryAsync(database, "SELECT mae, coverage, readings FROM model_metrics WHERE model = 'gru@2' AND stage = 'shadow'")).Single().Rows.Single();
        Assert.Equal([0.25, 0.875, 1_200.0], metrics.Skip(1).Select(v => Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task WriteAsync_ReplayLeavesCountsAndValuesUnchanged()
    {
        var database = await _server.CreateDatabaseAsync("replay");
        var options = TestData.V1(_server.Url, database);
        var batches = Grains(sensors: 10, callsPerSensor: 6, readingsPerCall: 4).ToList();
        const string Query = "SELECT yhat, lower, upper FROM prediction GROUP BY sensor, step";

        await using (var sink = InfluxDbSink.Create(options))
        {
            await WriteAllAsync(sink, batches);
        }

        var first = await _server.QueryAsync(database, Query);
        var firstCount = await _server.CountAsync(database, "prediction", "yhat");

        await using (var sink = InfluxDbSink.Create(options))
        {
            // The replay arrives in a different order and grouping, as after a rebalance.
            await WriteAllAsync(sink, batches.AsEnumerable().Reverse());
            await WriteAllAsync(sink, batches.Take(7));
        }

        var second = await _server.QueryAsync(database, Query);
        Assert.Equal(10 * 6 * 4 * 2, firstCount);
        Assert.Equal(firstCount, await _server.CountAsync(database, "prediction", "yhat"));
        Assert.Equal(10 * 6 * 4, await _server.CountAsync(database, "reading", "value"));
        Assert.Equal(first.Count, second.Count);
        for (var i = 0; i < first.Count; i++)
        {
            Assert.Equal(first[i].Tags, second[i].Tags);
            Assert.Equal(first[i].Rows, second[i].Rows);
        }
    }

    [Fact]
    public async Task WriteAsync_RefusesNonFiniteValuesBeforeSending()
    {
        var database = await _server.CreateDatabaseAsync("nonfinite");
        var options = TestData.V1(_server.Url, database);
        var bad = TestData.Batch("sensor-nan", 0, 3);
        bad = bad with
        {
            Predictions = [bad.Predictions[0], bad.Predictions[1] with { Steps = [.. bad.Predictions[1].Steps.Select(s => s with { Mean = double.NaN })] }, bad.Predictions[2]],
        };

        await using var sink = InfluxDbSink.Create(options);
        var ex = await Assert.ThrowsAsync<InfluxDbInvalidPointException>(() => sink.WriteAsync(bad).AsTask());
        await sink.WriteAsync(TestData.Batch("sensor-ok", 0, 3));

        // Steps 1 and 6 of one prediction are written, so two NaNs.
        Assert.Equal(2, ex.NonFiniteValues);
        Assert.Contains("sensor=sensor-nan", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, sink.Health.NonFiniteValues);
        Assert.Equal(1, sink.Health.InvalidBatches);
        Assert.Empty(await _server.QueryAsync(database, "SELECT * FROM prediction WHERE sensor = 'sensor-nan'"));
        Assert.Equal(6, await _server.CountAsync(database, "prediction", "yhat"));
    }

    [Fact]
    public async Task WriteAsync_ReportsPartialWriteWithTheOffendingLine()
    {
        var database = await _server.CreateDatabaseAsync("partial");

        // Someone else wrote anomaly.score as an integer into the same shard: our float score now conflicts.
        await _server.WriteRawAsync(database, $"anomaly,sensor=other score=1i {(TestData.Start.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100}");
        var options = TestData.V1(_server.Url, database);
        options.Linger = TimeSpan.FromMilliseconds(300);
        var good = Grains(sensors: 5, callsPerSensor: 4, readingsPerCall: 5).ToList();
        var mixed = new SinkBatch([TestData.Reading("sensor-bad", 1)], [TestData.Prediction("sensor-bad", 1)], [TestData.Anomaly("sensor-bad", 1)]);

        await using var sink = InfluxDbSink.Create(options);
        var goodWrites = good.Select(b => sink.WriteAsync(b).AsTask()).ToList();
        var mixedWrite = sink.WriteAsync(mixed).AsTask();

        var ex = await Assert.ThrowsAsync<InfluxDbRejectedException>(() => mixedWrite.WaitAsync(TimeSpan.FromSeconds(30)));
        await Task.WhenAll(goodWrites).WaitAsync(TimeSpan.FromSeconds(30));

        var offending = Assert.Single(ex.OffendingLines);
        Assert.StartsWith("anomaly,model=lstm@1.0.0,sensor=sensor-bad,severity=warning value=42.5,", offending, StringComparison.Ordinal);
        Assert.Contains(offending, ex.Message, StringComparison.Ordinal);
        Assert.Contains("field type conflict", ex.Message, StringComparison.Ordinal);
        Assert.Equal(400, ex.StatusCode);
        Assert.Equal(1, sink.Health.RejectedPoints);
        Assert.Contains("field type conflict", sink.Health.LastError, StringComparison.Ordinal);

        // Everything else is stored, the refused batch's other lines included.
        Assert.Equal((5 * 4 * 5 * 2) + 2, await _server.CountAsync(database, "prediction", "yhat"));
        Assert.Equal((5 * 4 * 5) + 1, await _server.CountAsync(database, "reading", "value"));
    }
}
