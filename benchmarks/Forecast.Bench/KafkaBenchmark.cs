using System.Diagnostics;
using System.Text.Json;
using Confluent.Kafka;
using Forecast.Diagnostics;
using Forecast.Sinks.Embedded;
using Forecast.Host.Hosting;
using Forecast.Host.Simulation;
using Forecast.Ingestion.Kafka;
using Forecast.Testing;

namespace Forecast.Bench;

/// <summary>
/// <c>forecast bench kafka</c>: readings consumed from Kafka (librdkafka's mock cluster, 4 partitions)
/// and predicted end to end by one silo with the embedded store, at 10,000 sensors. Measures the
/// sustained rate on a backlog (after every sensor is warmed up), then produce-to-prediction latency
/// with readings produced evenly at half that rate.
/// </summary>
internal static class KafkaBenchmark
{
    private static readonly DateTimeOffset Epoch = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddDays(-30).ToUnixTimeSeconds() / 60 * 60);

    public static async Task<int> RunAsync(string[] args)
    {
        using var cluster = KafkaMockCluster.Start();
        var builder = ForecastHostBuilder.Create(args, new Dictionary<string, string?>
        {
            ["Simulator:Sensors"] = "10000",
            ["Kafka:BootstrapServers"] = cluster.BootstrapServers,

            // librdkafka's mock broker holds a fetch that found no data for its whole max wait, even when data
            // arrives meanwhile (a real broker answers as soon as it does): at the product's 100 ms that wait,
            // not Forecast, was most of the latency measured here (p50 78 ms; 17 ms at 10 ms).
            ["Kafka:Consumer:fetch.wait.max.ms"] = "10",
        });
        builder.AddForecastSilo();
        builder.AddEmbeddedStore();
        builder.AddKafkaIngestion();
        var simulator = builder.Configuration.GetSection(SimulatorOptions.SectionName).Get<SimulatorOptions>() ?? new();
        var measured = builder.Configuration.GetValue("Bench:ReadingsPerSensor", 30);
        var seconds = builder.Configuration.GetValue("Bench:Seconds", 10.0);
        var sensors = simulator.CreateSensors();

        using var host = builder.Build();
        var store = host.Services.GetRequiredService<EmbeddedStore>();
        var metrics = host.Services.GetRequiredService<PipelineMetrics>();
        var warmup = host.Services.GetRequiredService<Inference.Onnx.BatchingForecaster>().Model.Warmup + 2;
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            LingerMs = 5,
            QueueBufferingMaxMessages = 1_000_000,
        }).Build();
        Console.Error.WriteLine($"bench kafka: {sensors.Length:N0} sensors, {warmup} warm-up + {measured} measured readings each, mock cluster {cluster.BootstrapServers}");

        var produced = Task.Run(() => Produce(producer, sensors, 0, warmup + measured, null, () => store.Predictions));
        await host.StartAsync();
        long warmTotal = (long)warmup * sensors.Length;
        long total = (long)(warmup + measured) * sensors.Length;
        var ingestion = host.Services.GetRequiredService<KafkaIngestionService>();
        await WaitAsync(() => store.Predictions >= warmTotal, TimeSpan.FromMinutes(10), store, ingestion);
        var started = Stopwatch.GetTimestamp();
        await WaitAsync(() => store.Predictions >= total, TimeSpan.FromMinutes(10), store, ingestion);
        var rate = (total - warmTotal) / Stopwatch.GetElapsedTime(started).TotalSeconds;
        await produced;
        Console.Error.WriteLine($"  backlog: {rate:N0} readings/s consumed and predicted");

        metrics.Latency.Reset();
        var half = rate / 2;
        var paced = (long)(half * seconds);
        var tick = warmup + measured;
        await Task.Run(() => Produce(producer, sensors, tick, (int)Math.Ceiling((double)paced / sensors.Length), half, () => store.Predictions - total));
        await WaitAsync(() => store.Predictions >= total + ((long)Math.Ceiling((double)paced / sensors.Length) * sensors.Length), TimeSpan.FromMinutes(5), store, ingestion);
        Console.Error.WriteLine($"  at {half:N0} readings/s: p50 {metrics.Latency.PercentileMs(0.5):N1} ms, p99 {metrics.Latency.PercentileMs(0.99):N1} ms from produce to durable prediction");

        Console.WriteLine(JsonSerializer.Serialize(new
        {
            sensors = sensors.Length,
            readingsPerSecond = Math.Round(rate),
            halfRate = Math.Round(half),
            p50LatencyMs = Math.Round(metrics.Latency.PercentileMs(0.5), 2),
            p99LatencyMs = Math.Round(metrics.Latency.PercentileMs(0.99), 2),
            predictions = store.Predictions,
            rewrites = store.Rewrites,
            consumed = ingestion.Consumed,
            deadLettered = ingestion.DeadLettered,
            pauses = ingestion.Pauses,
            processors = Environment.ProcessorCount,
        }));
        await host.StopAsync();
        return store.Rewrites == 0 ? 0 : 1;
    }

    /// <summary>
    /// Produces <paramref name="ticks"/> readings per sensor from <paramref name="firstTick"/>, paced to
    /// <paramref name="rate"/> readings/s when given, and never more than <see cref="MaxLagTicks"/> rounds
    /// ahead of the predictions: librdkafka's mock cluster trims each partition's log at about 8 MB, so an
    /// unbounded backlog would be dropped before it is consumed.
    /// </summary>
    private static void Produce(IProducer<string, byte[]> producer, SimulatedSensor[] sensors, int firstTick, int ticks, double? rate, Func<long> predicted)
    {
        var started = Stopwatch.GetTimestamp();
        long n = 0;
        for (var t = firstTick; t < firstTick + ticks; t++)
        {
            while (predicted() < (long)(t - firstTick - MaxLagTicks) * sensors.Length)
            {
                Thread.Sleep(1);
            }

            foreach (var sensor in sensors)
            {
                if (rate is { } perSecond && TimeSpan.FromSeconds(n / perSecond) - Stopwatch.GetElapsedTime(started) is { TotalMilliseconds: > 1 } ahead)
                {
                    Thread.Sleep(ahead);
                }

                var value = JsonSerializer.SerializeToUtf8Bytes(new { sensor = sensor.Id, ts = Epoch.AddMinutes(t).ToUnixTimeMilliseconds(), value = sensor.Next(t) });
                while (true)
                {
                    try
                    {
                        producer.Produce(KafkaIngestionOptionsDefaults.Topic, new Message<string, byte[]> { Key = sensor.Id, Value = value }, Delivered);
                        break;
                    }
                    catch (ProduceException<string, byte[]> exception) when (exception.Error.Code == Confluent.Kafka.ErrorCode.Local_QueueFull)
                    {
                        producer.Poll(TimeSpan.FromMilliseconds(10));
                    }
                }

                n++;
            }
        }

        producer.Flush(TimeSpan.FromMinutes(1));
    }

    private const int MaxLagTicks = 5;

    private static long _undelivered;

    private static void Delivered(DeliveryReport<string, byte[]> report)
    {
        if (report.Error.IsError)
        {
            Interlocked.Increment(ref _undelivered);
        }
    }

    private static async Task WaitAsync(Func<bool> done, TimeSpan timeout, EmbeddedStore store, KafkaIngestionService ingestion)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var report = Stopwatch.GetTimestamp();
        while (!done())
        {
            if (Stopwatch.GetElapsedTime(report) > TimeSpan.FromSeconds(5))
            {
                report = Stopwatch.GetTimestamp();
                Console.Error.WriteLine($"  ... {store.Predictions:N0} predictions, {ingestion.Consumed:N0} consumed, {ingestion.InFlight:N0} in flight{(ingestion.Paused ? ", paused" : "")}, {Interlocked.Read(ref _undelivered):N0} not delivered");
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"bench kafka: the pipeline did not catch up within {timeout}.");
            }

            await Task.Delay(20);
        }
    }

    private static class KafkaIngestionOptionsDefaults
    {
        public static readonly string Topic = new KafkaIngestionOptions().Topic;
    }
}
