using System.Diagnostics;
using System.Text.Json;
using Confluent.Kafka;
using ErrorCode = Confluent.Kafka.ErrorCode;

namespace Forecast.Ingestion.Kafka.Tests;

/// <summary>R1: a silo process killed with SIGKILL mid-stream loses no reading once restarted.</summary>
public sealed class SiloCrashTests(ITestOutputHelper output)
{
    internal const string PredictionsTopic = "sensor-predictions";

    [Fact]
    public async Task Silo_KilledMidStream_ResumesFromTheCommittedWatermark_AndLosesNothing()
    {
        // Small enough that librdkafka's mock cluster keeps every prediction: it trims each partition's log at about 8 MB.
        // 24 s of steady traffic, so the kill lands mid-stream, not after a silo that caught up on a backlog.
        using var traffic = new SteadyTraffic(sensors: 200, perSensor: 60, slice: 250).Start();
        var (cluster, readings, produce, topics) = (traffic.Cluster, traffic.Readings, traffic.Production, traffic.Topics);

        using (var first = ForecastProcess.Run(cluster.BootstrapServers))
        {
            // Mid-stream, after the first commits, so the restart resumes from a committed watermark.
            await WaitAsync(() => topics.Committed() >= 3_000, TimeSpan.FromMinutes(2), first, topics);
            output.WriteLine($"at the kill: {topics.Describe()}");
            Assert.False(produce.IsCompleted, "production ended before the kill; the crash was not mid-stream");
            first.Kill();
        }

        var killedAt = Stopwatch.GetTimestamp();
        var atKill = topics.Predictions();
        using var second = ForecastProcess.Run(cluster.BootstrapServers);
        await WaitAsync(() => topics.Predictions() > atKill, TimeSpan.FromMinutes(1), second, topics);
        var recovery = Stopwatch.GetElapsedTime(killedAt);
        await produce;
        await WaitAsync(() => topics.CaughtUp(), TimeSpan.FromMinutes(3), second, topics);

        var (messages, covered) = topics.ReadPredictions();
        output.WriteLine($"killed after {atKill} predictions; first new prediction {recovery.TotalSeconds:N1} s after the kill; " +
            $"{messages - covered.Count} duplicates (readings in flight at the kill, applied again)");
        var missing = readings.Select(r => r.Key).Count() - covered.Count;
        Assert.True(missing == 0, $"{missing} readings have no prediction ({messages} prediction messages read; {topics.Describe()}); silo output:\n{second.Output}");
        Assert.Equal(readings.Count, covered.Count);
    }

    internal static Task WaitAsync(Func<bool> done, TimeSpan timeout, ForecastProcess silo, TopicProbe topics) =>
        KafkaPipeline.WaitUntilAsync(done, timeout, () => $"{topics.Describe()}; silo output:\n{silo.Output}");

    /// <summary>Looks at the readings and predictions topics from outside, as an operator's checker would.</summary>
    internal sealed class TopicProbe(string bootstrapServers) : IDisposable
    {
        private readonly IConsumer<string, byte[]> _metadata = new ConsumerBuilder<string, byte[]>(
            new ConsumerConfig { BootstrapServers = bootstrapServers, GroupId = "forecast" }).Build();

        private readonly HashSet<(string, DateTimeOffset)> _covered = [];
        private readonly Dictionary<string, long> _models = [];
        private readonly Dictionary<int, long> _positions = [];
        private readonly CancellationTokenSource _stop = new();
        private long _messages;
        private string? _followerError;
        private Task _follower = Task.CompletedTask;

        /// <summary>Starts following the predictions topic; call before any silo starts.</summary>
        public TopicProbe Start()
        {
            _follower = Task.Factory.StartNew(Follow, TaskCreationOptions.LongRunning);
            return this;
        }

        private static IEnumerable<TopicPartition> Partitions(string topic) =>
            Enumerable.Range(0, KafkaMockCluster.Partitions).Select(p => new TopicPartition(topic, p));

        /// <summary>Prediction messages stored so far (the topic's high watermarks).</summary>
        public long Predictions() => Partitions(PredictionsTopic).Sum(High);

        /// <summary>Whether the silos' group has committed every reading produced.</summary>
        public bool CaughtUp() => Committed() == Partitions(KafkaPipeline.Topic).Sum(High);

        /// <summary>Readings stored in the readings topic (its high watermarks).</summary>
        public long Produced() => Partitions(KafkaPipeline.Topic).Sum(High);

        /// <summary>Readings the silos' group has committed.</summary>
        public long Committed() => CommittedByPartition().Sum();

        /// <summary>The silos' group's committed offset of each readings partition (0 before the first commit).</summary>
        public long[] CommittedByPartition()
        {
            try
            {
                return [.. _metadata.Committed(Partitions(KafkaPipeline.Topic), TimeSpan.FromSeconds(10)).Select(c => Math.Max(0, c.Offset.Value))];
            }
            catch (TopicPartitionOffsetException)
            {
                // Before the first produce the topic does not exist yet.
                return new long[KafkaMockCluster.Partitions];
            }
        }

        /// <summary>Whether every readings partition has committed past <paramref name="before"/>, or is fully committed.</summary>
        public bool AllCommittingSince(long[] before)
        {
            var now = CommittedByPartition();
            return Partitions(KafkaPipeline.Topic).All(p => now[p.Partition.Value] > before[p.Partition.Value] || now[p.Partition.Value] == High(p));
        }

        public string Describe() => $"{Predictions()} predictions stored; readings committed {Committed()} of {Partitions(KafkaPipeline.Topic).Sum(High)}";

        /// <summary>
        /// Waits until the follower has read the predictions topic up to its current end, then returns the
        /// message count and the (sensor, reading time) pairs covered. The follower reads from the start of
        /// the test, as predictions arrive: librdkafka's mock cluster trims old log data, so a reader that
        /// started at the end could miss the oldest predictions.
        /// </summary>
        public (long Messages, HashSet<(string, DateTimeOffset)> Covered) ReadPredictions()
        {
            var ends = Partitions(PredictionsTopic).ToDictionary(p => p.Partition.Value, High);
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (DateTime.UtcNow < deadline)
            {
                lock (_covered)
                {
                    if (ends.All(e => _positions.GetValueOrDefault(e.Key) >= e.Value))
                    {
                        return (_messages, [.. _covered]);
                    }
                }

                Thread.Sleep(50);
            }

            throw new TimeoutException($"The prediction follower did not reach the end of the topic: {_followerError}");
        }

        /// <summary>Prediction messages read so far per model version that made them.</summary>
        public Dictionary<string, long> Models()
        {
            lock (_covered)
            {
                return new(_models);
            }
        }

        private void Follow()
        {
            using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
            {
                BootstrapServers = bootstrapServers,
                GroupId = "checker-" + Guid.NewGuid().ToString("N"),
                EnableAutoCommit = false,
                AutoOffsetReset = AutoOffsetReset.Earliest,
                TopicMetadataRefreshIntervalMs = 500,
            }).Build();
            consumer.Assign(Partitions(PredictionsTopic).Select(p => new TopicPartitionOffset(p, Offset.Beginning)));
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is not { } result)
                    {
                        continue;
                    }

                    using var prediction = JsonDocument.Parse(result.Message.Value);
                    var key = (prediction.RootElement.GetProperty("sensorId").GetString()!, prediction.RootElement.GetProperty("issuedAt").GetDateTimeOffset());
                    lock (_covered)
                    {
                        _covered.Add(key);
                        _messages++;
                        var model = prediction.RootElement.GetProperty("model").GetString()!;
                        _models[model] = _models.GetValueOrDefault(model) + 1;
                        _positions[result.Partition.Value] = result.Offset.Value + 1;
                    }
                }
                catch (ConsumeException exception)
                {
                    // Before the first prediction the topic does not exist yet.
                    _followerError = exception.Error.Reason;
                }
            }

            consumer.Close();
        }

        public void Dispose()
        {
            _stop.Cancel();
            _follower.Wait(TimeSpan.FromSeconds(10));
            _stop.Dispose();
            _metadata.Dispose();
        }

        private long High(TopicPartition partition)
        {
            try
            {
                return _metadata.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10)).High.Value;
            }
            catch (KafkaException exception) when (exception.Error.Code is ErrorCode.UnknownTopicOrPart or ErrorCode.Local_UnknownPartition)
            {
                // The mock cluster creates the topic on its first message.
                return 0;
            }
        }
    }
}
