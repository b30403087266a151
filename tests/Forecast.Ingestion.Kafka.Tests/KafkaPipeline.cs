using System.Text.Json;
using Confluent.Kafka;
using ErrorCode = Confluent.Kafka.ErrorCode;
using Forecast.Diagnostics;
using Forecast.Sinks.Embedded;

namespace Forecast.Ingestion.Kafka.Tests;

/// <summary>
/// A silo in this process, composed as <c>forecast run --kafka</c> composes it (sensor grains, the
/// bundled ONNX model, the embedded store, Kafka ingestion), consuming from a real mock cluster.
/// </summary>
internal sealed class KafkaPipeline : IAsyncDisposable
{
    public const string Topic = "sensor-readings";
    private readonly TestSilo _silo;

    private KafkaPipeline(TestSilo silo) => _silo = silo;

    public EmbeddedStore Store => _silo.Store;

    public PipelineMetrics Metrics => _silo.Services.GetRequiredService<PipelineMetrics>();

    public KafkaIngestionService Ingestion => _silo.Services.GetRequiredService<KafkaIngestionService>();

    public IServiceProvider Services => _silo.Services;

    public static async Task<KafkaPipeline> StartAsync(
        string bootstrapServers, Dictionary<string, string?>? settings = null, Action<IServiceCollection>? decorateSink = null)
    {
        var defaults = new Dictionary<string, string?>
        {
            ["Kafka:BootstrapServers"] = bootstrapServers,
            ["Kafka:DrainTimeout"] = "00:00:10",
            ["Kafka:Consumer:session.timeout.ms"] = "6000",
        };
        foreach (var (key, value) in settings ?? [])
        {
            defaults[key] = value;
        }

        return new KafkaPipeline(await TestSilo.StartAsync(defaults, builder =>
        {
            decorateSink?.Invoke(builder.Services);
            builder.AddKafkaIngestion();
        }));
    }

    /// <summary>Waits until <paramref name="done"/> holds, failing with <paramref name="describe"/> after <paramref name="timeout"/>.</summary>
    public static Task WaitUntilAsync(Func<bool> done, TimeSpan timeout, Func<string> describe) => TestSilo.WaitUntilAsync(done, timeout, describe);

    public ValueTask DisposeAsync() => _silo.DisposeAsync();
}

/// <summary>Produces test traffic and reads topics back.</summary>
internal static class Traffic
{
    /// <summary>A day ago, in whole minutes (the wire carries milliseconds).</summary>
    public static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeSeconds() / 60 * 60);

    /// <summary>One JSON reading message per (sensor, minute), keyed by sensor, as devices send them.</summary>
    public static IEnumerable<Message<string, byte[]>> Readings(int sensors, int perSensor, string prefix = "s") =>
        from minute in Enumerable.Range(0, perSensor)
        from sensor in Enumerable.Range(0, sensors)
        select Json($"{prefix}-{sensor:D5}", Start.AddMinutes(minute), 20 + (5 * Math.Sin(minute / 6.0)) + (sensor % 7));

    public static Message<string, byte[]> Json(string sensor, DateTimeOffset ts, double value) => new()
    {
        Key = sensor,
        Value = JsonSerializer.SerializeToUtf8Bytes(new { sensor, ts = ts.ToUnixTimeMilliseconds(), value }),
    };

    public static async Task ProduceAsync(string bootstrapServers, IEnumerable<Message<string, byte[]>> messages, string topic = KafkaPipeline.Topic)
    {
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            LingerMs = 5,
            MessageMaxBytes = 16 << 20,
        }).Build();
        var failed = 0;
        foreach (var message in messages)
        {
            while (true)
            {
                try
                {
                    producer.Produce(topic, message, report => { if (report.Error.IsError) { Interlocked.Increment(ref failed); } });
                    break;
                }
                catch (ProduceException<string, byte[]> exception) when (exception.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(50));
                }
            }
        }

        producer.Flush(TimeSpan.FromSeconds(60));
        Assert.Equal(0, failed);
        await Task.CompletedTask;
    }

    /// <summary>Produces <paramref name="messages"/> as a steady stream: slices with a pause between, so faults land mid-stream.</summary>
    public static Task ProduceSteadilyAsync(string bootstrapServers, IReadOnlyList<Message<string, byte[]>> messages, int slice, TimeSpan pause) =>
        Task.Run(async () =>
        {
            foreach (var chunk in messages.Chunk(slice))
            {
                await ProduceAsync(bootstrapServers, chunk);
                await Task.Delay(pause);
            }
        });

    /// <summary>The silos' committed offsets on the readings topic, summed over its partitions.</summary>
    public static long Committed(string bootstrapServers, string group = "forecast")
    {
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig { BootstrapServers = bootstrapServers, GroupId = group }).Build();
        var partitions = Enumerable.Range(0, KafkaMockCluster.Partitions).Select(p => new TopicPartition(KafkaPipeline.Topic, p));
        return consumer.Committed(partitions, TimeSpan.FromSeconds(10)).Sum(c => Math.Max(0, c.Offset.Value));
    }

    /// <summary>Every message on <paramref name="topic"/> from the beginning, until <paramref name="count"/> arrived.</summary>
    public static List<ConsumeResult<string, byte[]>> ReadAll(string bootstrapServers, string topic, int count, TimeSpan timeout)
    {
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "reader-" + Guid.NewGuid().ToString("N"),
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        }).Build();
        consumer.Subscribe(topic);
        var results = new List<ConsumeResult<string, byte[]>>();
        var deadline = DateTime.UtcNow + timeout;
        while (results.Count < count && DateTime.UtcNow < deadline)
        {
            try
            {
                if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { } result)
                {
                    results.Add(result);
                }
            }
            catch (ConsumeException exception) when (exception.Error.Code == ErrorCode.UnknownTopicOrPart)
            {
                // The mock cluster creates the topic on its first message.
            }
        }

        consumer.Close();
        return results;
    }
}
