using System.Diagnostics;
using System.Text.Json;
using Confluent.Kafka;
using Forecast.Host.Hosting;
using Forecast.Ingestion.Kafka;
using Forecast.Testing;

namespace Forecast.Bench;

/// <summary>
/// <c>Forecast.Bench peer</c>: Forecast against the service a user would otherwise write
/// (<c>benchmarks/peer/peer.py</c>: confluent-kafka, a PyTorch LSTM of the same size batched per poll, line
/// protocol), on the same backlog in librdkafka's mock cluster and the same InfluxDB 1.x, one after the other.
/// Both commit a poll's offsets only once InfluxDB took its points; each rate is readings committed per second
/// from 5% of the backlog to all of it, read from the group's commits from outside. Ratios carry between machines.
/// </summary>
internal static class PeerBenchmark
{
    private static readonly string Topic = new KafkaIngestionOptions().Topic;

    private static readonly string WarmupTopic = Topic + "-warmup";

    private static readonly DateTimeOffset Epoch = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddDays(-30).ToUnixTimeSeconds() / 60 * 60);

    public static async Task<int> RunAsync(string[] args)
    {
        var settings = ForecastHostBuilder.Create(args).Configuration;
        var sensors = settings.GetValue("Simulator:Sensors", 1_000);
        var perSensor = settings.GetValue("Bench:ReadingsPerSensor", 200);
        var warmup = settings.GetValue("Bench:WarmupReadingsPerSensor", 0);
        var rounds = settings.GetValue("Bench:WarmupRounds", 1);
        if (sensors < 1 || perSensor < 1 || warmup < 0 || rounds < 1)
        {
            throw new ArgumentException(
                "--Simulator:Sensors, --Bench:ReadingsPerSensor and --Bench:WarmupRounds must be positive, --Bench:WarmupReadingsPerSensor at least 0.");
        }

        var total = (long)sensors * perSensor;
        var peer = settings.GetValue("Bench:Peer", Path.Combine("benchmarks", "peer", "peer.py"))!;
        if (!File.Exists(peer))
        {
            throw new ArgumentException($"Bench:Peer '{peer}' does not exist; run from the repository root or pass --Bench:Peer PATH.");
        }

        using var cluster = KafkaMockCluster.Start();
        await using var influx = await InfluxServer.StartAsync();
        var forecastDatabase = await influx.CreateDatabaseAsync("forecast");
        var peerDatabase = await influx.CreateDatabaseAsync("peer");
        Console.Error.WriteLine($"bench peer: {total:N0} readings of {sensors:N0} sensors in the mock cluster ({cluster.BootstrapServers}), InfluxDB 1.x at {influx.Url}");
        Produce(cluster.BootstrapServers, Topic, sensors, perSensor);

        using var progress = new Progress(cluster.BootstrapServers);
        async Task<IHost> StartForecastAsync(string topic, string group, string database)
        {
            var builder = ForecastHostBuilder.Create(args, new Dictionary<string, string?>
            {
                ["Kafka:BootstrapServers"] = cluster.BootstrapServers,
                ["Kafka:Topic"] = topic,
                ["Kafka:GroupId"] = group,
                ["InfluxDb:Url"] = influx.Url,
                ["InfluxDb:Version"] = "V1",
                ["InfluxDb:Database"] = database,
                ["Logging:LogLevel:Default"] = "Warning",
            });
            builder.AddForecastSilo();
            builder.AddPredictionSink();
            builder.AddKafkaIngestion();
            var host = builder.Build();
            await host.StartAsync();
            return host;
        }

        // Each round is a silo of its own on a topic of its own: the mock cluster keeps only about 5 MB a partition,
        // so one long warm-up topic would be trimmed before it was read.
        for (var round = 1; warmup > 0 && round <= rounds; round++)
        {
            // A silo that has run a while: its code is jitted to the last tier. This process keeps the code when
            // the warm-up silo stops; the timed one starts with fresh grains.
            var (topic, group) = ($"{WarmupTopic}-{round}", $"forecast-warmup-{round}");
            Produce(cluster.BootstrapServers, topic, sensors, warmup);
            using var warm = await StartForecastAsync(topic, group, await influx.CreateDatabaseAsync("warmup"));
            var deadline = Stopwatch.StartNew();
            while (progress.Committed(group, topic) < (long)sensors * warmup)
            {
                Check(deadline, group, progress);
                await Task.Delay(100);
            }

            await warm.StopAsync();
            Console.Error.WriteLine($"  forecast warm-up {round} of {rounds}: {(long)sensors * warmup:N0} readings in {deadline.Elapsed.TotalSeconds:N1} s, untimed");
        }

        var forecast = await MeasureAsync("forecast", total, progress, influx, async () =>
        {
            var host = await StartForecastAsync(Topic, "forecast", forecastDatabase);
            return (async () =>
            {
                await host.StopAsync();
                host.Dispose();
            }, () => TimeSpan.Zero);
        });

        var python = await MeasureAsync("python-peer", total, progress, influx, () =>
        {
            var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = false };
            foreach (var arg in new[]
            {
                peer, "--bootstrap", cluster.BootstrapServers, "--topic", Topic, "--group", "python-peer",
                "--influx", influx.Url, "--database", peerDatabase, "--expect", total.ToString(System.Globalization.CultureInfo.InvariantCulture),
            })
            {
                start.ArgumentList.Add(arg);
            }

            var process = Process.Start(start) ?? throw new InvalidOperationException("python3 could not start; tests/install.sh installs python3-torch and python3-confluent-kafka.");
            var last = TimeSpan.Zero;
            return Task.FromResult<(Func<Task>, Func<TimeSpan>)>((async () =>
            {
                using var wait = new CancellationTokenSource(TimeSpan.FromMinutes(1));
                await process.WaitForExitAsync(wait.Token);
                process.Dispose();
            }, () =>
            {
                // The last figure read while it ran: an exited process's times cannot be read on Linux.
                try
                {
                    process.Refresh();
                    last = process.HasExited ? last : process.TotalProcessorTime;
                }
                catch (InvalidOperationException)
                {
                }

                return last;
            }));
        });

        var points = (Forecast: await influx.CountAsync(forecastDatabase, "reading", "value"), Peer: await influx.CountAsync(peerDatabase, "reading", "value"));
        var ratio = forecast.ReadingsPerSecond / python.ReadingsPerSecond;
        Console.Error.WriteLine($"  forecast {forecast.ReadingsPerSecond:N0} readings/s, python peer {python.ReadingsPerSecond:N0} readings/s: ratio {ratio:N2}");
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            readings = total,
            sensors,
            forecastWarmedUp = warmup > 0,
            forecastWarmupReadings = warmup > 0 ? (long)sensors * warmup * rounds : 0,
            forecastReadingsPerSecond = Math.Round(forecast.ReadingsPerSecond),
            peerReadingsPerSecond = Math.Round(python.ReadingsPerSecond),
            ratio = Math.Round(ratio, 2),
            // CPU seconds per million readings. Forecast runs inside this process, beside the mock cluster's brokers
            // and the commit probe; in the peer's turn this process's figure is that harness alone.
            // Points and line-protocol bytes influxd took per reading, and managed bytes allocated per reading in this
            // process (Forecast's own, with the commit probe's, in its turn; the harness alone in the peer's).
            perReading = new
            {
                forecast = new { forecast.Written.Points, forecast.Written.Bytes, forecast.Written.Requests, allocatedBytes = forecast.AllocatedBytesPerReading },
                peer = new { python.Written.Points, python.Written.Bytes, python.Written.Requests, allocatedBytes = python.AllocatedBytesPerReading },
            },
            cpuPerMillionReadings = new
            {
                forecast = new { influxd = forecast.Influxd, benchProcess = forecast.Bench },
                peer = new { influxd = python.Influxd, python = python.Peer, benchProcess = python.Bench },
            },
            forecastReadingsInInflux = points.Forecast,
            peerReadingsInInflux = points.Peer,
            processors = Environment.ProcessorCount,
        }));
        return points.Forecast == total && points.Peer == total ? 0 : 1;
    }

    /// <summary>One contender's rate, and the CPU seconds per million readings spent over the same span.</summary>
    /// <param name="ReadingsPerSecond">Readings committed per second.</param>
    /// <param name="Influxd">influxd's CPU.</param>
    /// <param name="Bench">This process's CPU: the mock cluster's brokers, the commit probe, and Forecast itself in its turn.</param>
    /// <param name="Peer">The Python process's CPU in its turn.</param>
    /// <param name="Written">What influxd took per reading over the whole run: points, line-protocol bytes (after gzip is undone) and requests.</param>
    /// <param name="AllocatedBytesPerReading">Managed bytes this process allocated per reading over the timed span: Forecast's in its turn.</param>
    private sealed record Result(double ReadingsPerSecond, double Influxd, double Bench, double Peer, PerReading Written, double AllocatedBytesPerReading);

    /// <summary>What influxd took per reading.</summary>
    private sealed record PerReading(double Points, double Bytes, double Requests);

    /// <summary>Starts one contender, times its group's commits from 5% of <paramref name="total"/> to all of it, and stops it.</summary>
    private static async Task<Result> MeasureAsync(string group, long total, Progress progress, InfluxServer influx, Func<Task<(Func<Task> Stop, Func<TimeSpan> Cpu)>> start)
    {
        var launched = (At: Stopwatch.GetTimestamp(), Influxd: influx.ProcessorTime, Bench: Process.GetCurrentProcess().TotalProcessorTime,
            Written: await influx.WriteStatisticsAsync(), Allocated: GC.GetTotalAllocatedBytes(precise: true));
        var (stop, peerCpu) = await start();
        try
        {
            var from = total / 20;
            var deadline = Stopwatch.StartNew();
            while (progress.Committed(group) < from)
            {
                Check(deadline, group, progress);
                await Task.Delay(50);
            }

            var started = Stopwatch.GetTimestamp();
            var first = progress.Committed(group);
            var cpu = (Influxd: influx.ProcessorTime, Bench: Process.GetCurrentProcess().TotalProcessorTime, Peer: peerCpu());
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            if (first >= total)
            {
                // A backlog so small it was done between two looks: the whole run, start-up included, is the span.
                (started, first, cpu, allocated) = (launched.At, 0, (launched.Influxd, launched.Bench, TimeSpan.Zero), launched.Allocated);
            }

            while (progress.Committed(group) < total)
            {
                Check(deadline, group, progress);
                await Task.Delay(50);
            }

            var readings = total - first;
            var rate = readings / Stopwatch.GetElapsedTime(started).TotalSeconds;
            double PerMillion(TimeSpan before, TimeSpan after) => Math.Round((after - before).TotalSeconds * 1e6 / readings, 1);
            var result = new Result(
                rate,
                PerMillion(cpu.Influxd, influx.ProcessorTime),
                PerMillion(cpu.Bench, Process.GetCurrentProcess().TotalProcessorTime),
                PerMillion(cpu.Peer, peerCpu()),
                // The whole run: InfluxDB takes a reading's points before its offset is committed, so over the timed
                // span the points would lead the readings counted.
                await WrittenPerReadingAsync(influx, launched.Written, total),
                Math.Round((GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)readings));
            Console.Error.WriteLine($"  {group}: {rate:N0} readings/s durable and committed; CPU s per million readings: influxd {result.Influxd}, bench process {result.Bench}, python {result.Peer}; per reading: {result.Written.Points:N2} points, {result.Written.Bytes:N0} bytes of line protocol, {result.AllocatedBytesPerReading:N0} bytes allocated here");
            return result;
        }
        finally
        {
            await stop();
        }
    }

    private static async Task<PerReading> WrittenPerReadingAsync(InfluxServer influx, WriteStatistics before, long readings)
    {
        var after = await influx.WriteStatisticsAsync();
        double Per(long delta) => Math.Round(delta / (double)readings, 4);
        return new PerReading(Per(after.Points - before.Points), Per(after.Bytes - before.Bytes), Per(after.Requests - before.Requests));
    }

    private static void Check(Stopwatch elapsed, string group, Progress progress)
    {
        if (elapsed.Elapsed > TimeSpan.FromMinutes(10))
        {
            throw new TimeoutException($"{group} committed {progress.Committed(group):N0} readings in 10 minutes");
        }
    }

    private static void Produce(string bootstrapServers, string topic, int sensors, int perSensor)
    {
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            LingerMs = 5,
            QueueBufferingMaxMessages = 1_000_000,
        }).Build();
        for (var t = 0; t < perSensor; t++)
        {
            for (var s = 0; s < sensors; s++)
            {
                var sensor = $"sensor-{s:D5}";
                var value = 20 + (5 * Math.Sin((t / 6.0) + s)) + (s % 7);
                var message = new Message<string, byte[]>
                {
                    Key = sensor,
                    Value = JsonSerializer.SerializeToUtf8Bytes(new { sensor, ts = Epoch.AddMinutes(t).ToUnixTimeMilliseconds(), value }),
                };
                while (true)
                {
                    try
                    {
                        producer.Produce(topic, message);
                        break;
                    }
                    catch (ProduceException<string, byte[]> exception) when (exception.Error.Code == Confluent.Kafka.ErrorCode.Local_QueueFull)
                    {
                        producer.Poll(TimeSpan.FromMilliseconds(10));
                    }
                }
            }
        }

        producer.Flush(TimeSpan.FromMinutes(1));

        // librdkafka's mock cluster keeps about 5 MB a partition and trims the oldest beyond that: a backlog it
        // trimmed would leave both contenders waiting for readings that are gone.
        using var reader = new ConsumerBuilder<string, byte[]>(new ConsumerConfig { BootstrapServers = bootstrapServers, GroupId = "bench-peer-check" }).Build();
        var kept = Enumerable.Range(0, KafkaMockCluster.Partitions)
            .Select(p => reader.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)))
            .Sum(w => w.High.Value - w.Low.Value);
        if (kept != (long)sensors * perSensor)
        {
            throw new ArgumentException(
                $"the mock cluster kept {kept:N0} of {(long)sensors * perSensor:N0} readings (its partitions hold about 5 MB each); ask for fewer with --Simulator:Sensors or --Bench:ReadingsPerSensor.");
        }
    }

    /// <summary>The groups' committed offsets, read from outside as an operator would.</summary>
    private sealed class Progress(string bootstrapServers) : IDisposable
    {
        private readonly Dictionary<string, IConsumer<string, byte[]>> _readers = [];

        public long Committed(string group, string? topic = null)
        {
            if (!_readers.TryGetValue(group, out var reader))
            {
                reader = _readers[group] = new ConsumerBuilder<string, byte[]>(new ConsumerConfig { BootstrapServers = bootstrapServers, GroupId = group }).Build();
            }

            var partitions = Enumerable.Range(0, KafkaMockCluster.Partitions).Select(p => new TopicPartition(topic ?? Topic, p));
            return reader.Committed(partitions, TimeSpan.FromSeconds(10)).Sum(c => Math.Max(0, c.Offset.Value));
        }

        public void Dispose()
        {
            foreach (var reader in _readers.Values)
            {
                reader.Dispose();
            }
        }
    }
}
