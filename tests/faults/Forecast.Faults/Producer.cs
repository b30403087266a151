using System.Diagnostics;
using System.Text.Json;
using Confluent.Kafka;

namespace Forecast.Faults;

/// <summary>
/// Devices sending readings at a steady rate: every sensor one reading per round, a minute of sensor time apart,
/// keyed by sensor, acknowledged by all replicas. Every reading is also written to a file, one message per line,
/// which <c>forecast verify --file</c> compares with what InfluxDB holds. With <c>spikeEvery</c> above 0, one sensor
/// in 20 reads 40 above its usual once every that many rounds (its own phase), so anomalies open and close.
/// </summary>
internal sealed class Producer(string bootstrapServers, int sensors, int ratePerSecond, string file, int spikeEvery = 0)
{
    public const string Topic = "sensor-readings";

    /// <summary>Two days ago in whole minutes: every round is a minute later, and the silos refuse nothing this old.</summary>
    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddDays(-2).ToUnixTimeSeconds() / 60 * 60);

    private long _produced;

    public long Produced => Interlocked.Read(ref _produced);

    /// <summary>Produces until <paramref name="stop"/>, then flushes; fails when a reading could not be delivered.</summary>
    public Task RunAsync(CancellationToken stop) => Task.Factory.StartNew(() => Run(stop), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken stop)
    {
        using var lines = new StreamWriter(file);
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            EnableIdempotence = true,
            Acks = Acks.All,
            // librdkafka's mock broker finds a fetch's offset by walking every message set in the partition (it
            // keeps no index), so at 5 ms it used most of a core after two minutes and starved the silos'
            // fetches. Sets ten times larger keep the broker out of the figures; real brokers index.
            LingerMs = 50,
        }).Build();
        var failed = 0L;
        var started = Stopwatch.GetTimestamp();
        var sent = 0L;
        for (var round = 0; !stop.IsCancellationRequested; round++)
        {
            for (var sensor = 0; sensor < sensors; sensor++)
            {
                // Paced per reading against the clock: a late producer catches up, an early one waits.
                // Sleeps of 5 ms or more only, so the pacing does not spin a core.
                var ahead = TimeSpan.FromSeconds((double)sent / ratePerSecond) - Stopwatch.GetElapsedTime(started);
                if (ahead > TimeSpan.FromMilliseconds(5))
                {
                    Thread.Sleep(ahead);
                }

                var id = $"fault/s{sensor:D5}";
                var value = JsonSerializer.SerializeToUtf8Bytes(new
                {
                    sensor = id,
                    ts = Start.AddMinutes(round).ToUnixTimeMilliseconds(),
                    value = Math.Round(20 + (5 * Math.Sin((round + sensor) / 6.0)) + (sensor % 7) + (Random.Shared.NextDouble() * 0.2) + Spike(round, sensor), 3),
                });
                Produce(producer, new Message<string, byte[]> { Key = id, Value = value }, () => Interlocked.Increment(ref failed));
                lines.WriteLine(System.Text.Encoding.UTF8.GetString(value));
                sent++;
                Interlocked.Increment(ref _produced);
            }
        }

        producer.Flush(TimeSpan.FromMinutes(1));
        if (Interlocked.Read(ref failed) > 0)
        {
            throw new InvalidOperationException($"{failed} readings were not acknowledged by the mock cluster; the run's figures would not mean anything.");
        }
    }

    private double Spike(int round, int sensor) => spikeEvery > 0 && sensor % 20 == 0 && (round + sensor) % spikeEvery == 0 ? 40 : 0;

    private static void Produce(IProducer<string, byte[]> producer, Message<string, byte[]> message, Action failed)
    {
        while (true)
        {
            try
            {
                producer.Produce(Topic, message, report =>
                {
                    if (report.Error.IsError)
                    {
                        failed();
                    }
                });
                return;
            }
            catch (ProduceException<string, byte[]> exception) when (exception.Error.Code == Confluent.Kafka.ErrorCode.Local_QueueFull)
            {
                producer.Poll(TimeSpan.FromMilliseconds(20));
            }
        }
    }
}
