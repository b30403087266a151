using System.Text;
using Confluent.Kafka;
using Forecast.Sinks.Embedded;

namespace Forecast.Ingestion.Kafka.Tests;

public sealed class KafkaIngestionServiceTests(ITestOutputHelper output) : IDisposable
{
    private readonly KafkaMockCluster _cluster = KafkaMockCluster.Start();

    [Fact]
    public async Task Ingestion_PredictsEveryReadingExactlyOnce_AcrossTenThousandSensors()
    {
        await Traffic.ProduceAsync(_cluster.BootstrapServers, Traffic.Readings(sensors: 10_000, perSensor: 10));
        await using var pipeline = await KafkaPipeline.StartAsync(_cluster.BootstrapServers);

        await KafkaPipeline.WaitUntilAsync(() => pipeline.Store.Predictions >= 100_000, TimeSpan.FromMinutes(3),
            () => $"{pipeline.Store.Predictions} predictions of 100,000");
        await Task.Delay(500);

        Assert.Equal(100_000, pipeline.Store.Predictions);
        Assert.Equal(0, pipeline.Store.Rewrites);
        Assert.Equal(10_000, pipeline.Store.Sensors);
        Assert.Equal(100_000, pipeline.Metrics.Applied);
        Assert.Equal(0, pipeline.Ingestion.DeadLettered);
        Assert.Equal(Traffic.Start.AddMinutes(9), pipeline.Store.Latest("s-04242")!.IssuedAt);
        await KafkaPipeline.WaitUntilAsync(() => Traffic.Committed(_cluster.BootstrapServers) == 100_000, TimeSpan.FromSeconds(30),
            () => $"committed {Traffic.Committed(_cluster.BootstrapServers)} of 100,000");
        output.WriteLine($"p99 produce-to-prediction {pipeline.Metrics.Latency.PercentileMs(0.99):N1} ms");
    }

    [Fact]
    public async Task Ingestion_DeadLettersBadMessagesWithTheirReason_AndPredictsEveryGoodOne()
    {
        var now = DateTimeOffset.UtcNow;
        var bad = new (string Payload, string Reason)[]
        {
            ("{\"sensor\":\"bad-1\",\"ts\":", DeadLetterReason.InvalidJson),
            ("{\"sensor\":\"bad-2\",\"ts\":" + now.ToUnixTimeMilliseconds() + ",\"value\":1e999}", DeadLetterReason.NonFinite),
            ("{\"sensor\":\"bad-3\",\"ts\":" + now.ToUnixTimeMilliseconds() + ",\"value\":\"warm\"}", DeadLetterReason.WrongType),
            ("{\"sensor\":\"\",\"ts\":" + now.ToUnixTimeMilliseconds() + ",\"value\":1}", DeadLetterReason.BadSensorId),
            ("{\"sensor\":\"" + new string('x', 300) + "\",\"ts\":" + now.ToUnixTimeMilliseconds() + ",\"value\":1}", DeadLetterReason.BadSensorId),
            ("{\"sensor\":\"bad-6\",\"ts\":\"2001-01-01T00:00:00Z\",\"value\":1}", DeadLetterReason.TimestampOutOfRange),
            ("{\"sensor\":\"bad-7\",\"ts\":" + now.AddDays(30).ToUnixTimeMilliseconds() + ",\"value\":1}", DeadLetterReason.TimestampOutOfRange),
            ("{\"sensor\":\"bad-8\",\"ts\":" + now.ToUnixTimeMilliseconds() + ",\"value\":5e20}", DeadLetterReason.ValueOutOfRange),
            (new string('[', 5000) + new string(']', 5000), DeadLetterReason.TooDeep),
            ("{\"sensor\":\"bad-10\",\"value\":3}", DeadLetterReason.MissingField),
            ("temp,sensor=bad-11 value=oops", DeadLetterReason.InvalidLineProtocol),
            ("{\"sensor\":\"bad-12\",\"ts\":" + now.ToUnixTimeMilliseconds() + ",\"value\":1,\"pad\":\"" + new string('z', 3 << 20) + "\"}", DeadLetterReason.Oversized),
        };
        var good = Traffic.Readings(sensors: 200, perSensor: 10).ToList();
        var messages = new List<Message<string, byte[]>>();
        for (var i = 0; i < good.Count; i++)
        {
            messages.Add(good[i]);
            if (i % 150 == 0 && i / 150 < bad.Length)
            {
                messages.Add(new Message<string, byte[]> { Key = "bad", Value = Encoding.UTF8.GetBytes(bad[i / 150].Payload) });
            }
        }

        messages.Add(new Message<string, byte[]> { Key = "bad", Value = [] });
        await Traffic.ProduceAsync(_cluster.BootstrapServers, messages);
        await using var pipeline = await KafkaPipeline.StartAsync(_cluster.BootstrapServers);

        var letters = Traffic.ReadAll(_cluster.BootstrapServers, "sensor-readings.dlq", bad.Length + 1, TimeSpan.FromMinutes(2));
        await KafkaPipeline.WaitUntilAsync(() => pipeline.Store.Predictions >= good.Count, TimeSpan.FromMinutes(2),
            () => $"{pipeline.Store.Predictions} predictions of {good.Count}");

        Assert.Equal(good.Count, pipeline.Store.Predictions);
        Assert.Equal(bad.Length + 1, letters.Count);
        var reasons = letters.Select(l => Header(l, "forecast.reason")).Order().ToList();
        Assert.Equal([.. bad.Select(b => b.Reason).Append(DeadLetterReason.Empty).Order()], reasons);
        Assert.All(letters, l =>
        {
            Assert.Equal(KafkaPipeline.Topic, Header(l, "forecast.source.topic"));
            Assert.True(long.Parse(Header(l, "forecast.source.offset"), System.Globalization.CultureInfo.InvariantCulture) >= 0);
            Assert.False(string.IsNullOrWhiteSpace(Header(l, "forecast.error")));
        });
        var oversized = letters.Single(l => Header(l, "forecast.reason") == DeadLetterReason.Oversized);
        Assert.Equal(DeadLetterPublisher.MaxCopiedBytes, oversized.Message.Value.Length);
    }

    [Fact]
    public async Task Ingestion_LosesAndDoublesNothing_WhenASecondConsumerJoinsAndLeaves()
    {
        const int Sensors = 2_000;
        const int PerSensor = 30;
        await using var pipeline = await KafkaPipeline.StartAsync(_cluster.BootstrapServers, new() { ["Kafka:MaxPollMessages"] = "500" });
        var readings = Traffic.Readings(Sensors, PerSensor).ToList();
        var produce = Traffic.ProduceSteadilyAsync(_cluster.BootstrapServers, readings, 2_000, TimeSpan.FromMilliseconds(400));

        await KafkaPipeline.WaitUntilAsync(() => pipeline.Store.Predictions > 6_000, TimeSpan.FromMinutes(2), () => "no progress before the join");
        var second = KafkaIngestionExtensions.CreateService(pipeline.Services);
        try
        {
            await second.StartAsync(CancellationToken.None);
            await KafkaPipeline.WaitUntilAsync(() => second.Consumed > 2_000, TimeSpan.FromMinutes(1), () => $"the second consumer took {second.Consumed}");
        }
        finally
        {
            await second.StopAsync(CancellationToken.None);
            second.Dispose();
        }

        await produce;

        await KafkaPipeline.WaitUntilAsync(() => pipeline.Store.Predictions >= Sensors * PerSensor, TimeSpan.FromMinutes(2),
            () => $"{pipeline.Store.Predictions} predictions of {Sensors * PerSensor}");
        await Task.Delay(1_000);
        output.WriteLine($"second consumer took {second.Consumed} messages; replays ignored by grains: {pipeline.Metrics.Ignored}");
        Assert.Equal(Sensors * PerSensor, pipeline.Store.Predictions);
        Assert.Equal(0, pipeline.Store.Rewrites);
        Assert.Equal(Sensors * PerSensor, pipeline.Metrics.Applied);
    }

    [Fact]
    public async Task Ingestion_JoinsTheGroupAsTheHostStarts_BeforeItPolls_AndLosesNothing()
    {
        // The first consumer's revocation shows that the second joined the group while it had not polled yet.
        var logs = new LogLines();
        await using var pipeline = await KafkaPipeline.StartAsync(_cluster.BootstrapServers, decorateSink: services =>
        {
            services.AddSingleton<ILoggerProvider>(logs);
            services.Configure<LoggerFilterOptions>(o => o.Rules.Add(new LoggerFilterRule(typeof(LogLines).FullName, null, LogLevel.Information, null)));
        });
        await Traffic.ProduceAsync(_cluster.BootstrapServers, Traffic.Readings(200, 5, "a"));
        await KafkaPipeline.WaitUntilAsync(() => pipeline.Store.Predictions >= 1_000, TimeSpan.FromMinutes(1), () => $"{pipeline.Store.Predictions} predictions before the join");

        var second = KafkaIngestionExtensions.CreateService(pipeline.Services);
        try
        {
            await second.StartingAsync(CancellationToken.None);
            await KafkaPipeline.WaitUntilAsync(
                () => logs.At(LogLevel.Information).Any(l => l.StartsWith("Revoked partitions", StringComparison.Ordinal)),
                TimeSpan.FromMinutes(1),
                () => "the first consumer gave up no partition: the second did not join before polling");
            Assert.Equal(0, second.Consumed);

            await Traffic.ProduceAsync(_cluster.BootstrapServers, Traffic.Readings(200, 5, "b"));
            await second.StartAsync(CancellationToken.None);
            await KafkaPipeline.WaitUntilAsync(() => pipeline.Store.Predictions >= 2_000, TimeSpan.FromMinutes(1), () => $"{pipeline.Store.Predictions} predictions of 2,000");
        }
        finally
        {
            await second.StopAsync(CancellationToken.None);
            second.Dispose();
        }

        Assert.True(second.Consumed > 0, "the second consumer took none of its partitions' readings");
        Assert.Equal(2_000, pipeline.Store.Predictions);
        Assert.Equal(0, pipeline.Store.Rewrites);
    }

    [Fact]
    public async Task Ingestion_PausesWhileTheSinkIsStalled_StaysBounded_AndDrainsAfter()
    {
        const int Total = 20_000;
        var gate = new SinkGate();
        await using var pipeline = await KafkaPipeline.StartAsync(
            _cluster.BootstrapServers,
            new() { ["Kafka:MaxInFlightReadings"] = "2000", ["Kafka:MaxPollMessages"] = "500" },
            services => services.AddSingleton<IPredictionSink>(sp => new GatedSink(sp.GetRequiredService<EmbeddedStore>(), gate)));
        gate.Close();
        await Traffic.ProduceAsync(_cluster.BootstrapServers, Traffic.Readings(sensors: 1_000, perSensor: 20));

        await KafkaPipeline.WaitUntilAsync(() => pipeline.Ingestion.Paused, TimeSpan.FromMinutes(1), () => $"not paused; {pipeline.Ingestion.InFlight} in flight");
        var peak = 0L;
        for (var i = 0; i < 30; i++)
        {
            peak = Math.Max(peak, pipeline.Ingestion.InFlight);
            await Task.Delay(100);
        }

        Assert.True(pipeline.Ingestion.Paused);
        Assert.InRange(peak, 1, 2_000 + 500);
        Assert.True(pipeline.Ingestion.Consumed < Total, "it kept consuming while paused");
        gate.Open();

        await KafkaPipeline.WaitUntilAsync(() => pipeline.Store.Predictions >= Total, TimeSpan.FromMinutes(2),
            () => $"{pipeline.Store.Predictions} predictions of {Total} after the sink recovered");
        Assert.False(pipeline.Ingestion.Paused);
        Assert.Equal(Total, pipeline.Store.Predictions);
        output.WriteLine($"paused {pipeline.Ingestion.Pauses} times; peak in flight {peak}");
    }

    public void Dispose() => _cluster.Dispose();

    private static string Header(ConsumeResult<string, byte[]> result, string name) =>
        Encoding.UTF8.GetString(result.Message.Headers.GetLastBytes(name));

    /// <summary>Lets the test stall the sink, as a slow or unreachable InfluxDB would.</summary>
    private sealed class SinkGate
    {
        private volatile TaskCompletionSource _open = Opened();

        public Task WhenOpen => _open.Task;

        public void Close() => _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Open() => _open.TrySetResult();

        private static TaskCompletionSource Opened()
        {
            var source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            source.SetResult();
            return source;
        }
    }

    /// <summary>The real embedded store behind a gate: writes wait while the gate is closed.</summary>
    private sealed class GatedSink(EmbeddedStore store, SinkGate gate) : IPredictionSink
    {
        public async ValueTask WriteAsync(SinkBatch batch, CancellationToken cancellationToken = default)
        {
            await gate.WhenOpen.WaitAsync(cancellationToken);
            await store.WriteAsync(batch, cancellationToken);
        }
    }
}
