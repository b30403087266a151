using System.Text;
using Confluent.Kafka;
using Forecast.Ingestion;

namespace Forecast.Host.Verification;

/// <summary>
/// The readings that entered the pipeline, per sensor in the order they entered (epoch ms): the whole Kafka
/// readings topic read from its start by a consumer group of its own (nothing committed, the silos' group
/// untouched), or a file of the same messages, one per line. Messages the silos would dead-letter are counted,
/// not compared.
/// </summary>
internal sealed class EnteredReadings
{
    private readonly ReadingDecoder _decoder = new(ReadingLimits.Default with { MaxAge = TimeSpan.FromDays(36_500), MaxFuture = TimeSpan.FromDays(36_500) }, TimeProvider.System);

    public Dictionary<string, List<long>> Readings { get; } = new(StringComparer.Ordinal);

    public int Messages { get; private set; }

    public int Refused { get; private set; }

    /// <summary>Reads <paramref name="topic"/> up to its end as it was when reading started.</summary>
    public static EnteredReadings FromKafka(string bootstrapServers, string topic, Func<string, DateTimeOffset, bool> keep, TimeSpan timeout)
    {
        var entered = new EnteredReadings();
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = $"forecast-verify-{Guid.NewGuid():N}",
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnablePartitionEof = true,
        }).Build();
        var metadata = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build();
        using (metadata)
        {
            List<PartitionMetadata> partitions;
            try
            {
                partitions = metadata.GetMetadata(topic, TimeSpan.FromSeconds(Math.Min(30, timeout.TotalSeconds))).Topics.Single().Partitions;
            }
            catch (KafkaException exception)
            {
                throw new ArgumentException($"verify: Kafka at {bootstrapServers} cannot be read ({exception.Error.Reason}); no verdict.", exception);
            }

            if (partitions.Count == 0)
            {
                throw new ArgumentException($"verify: topic '{topic}' does not exist on {bootstrapServers}.");
            }

            var ends = partitions.ToDictionary(p => p.PartitionId, p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p.PartitionId), timeout).High.Value);
            consumer.Assign(partitions.Select(p => new TopicPartitionOffset(topic, p.PartitionId, Offset.Beginning)));
            var done = ends.Where(e => e.Value == 0).Select(e => e.Key).ToHashSet();
            var deadline = DateTime.UtcNow + timeout;
            while (done.Count < ends.Count)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new ArgumentException($"verify: reading topic '{topic}' took longer than {timeout}; give more time with --timeout.");
                }

                var result = consumer.Consume(TimeSpan.FromMilliseconds(500));
                if (result is null)
                {
                    continue;
                }

                if (!result.IsPartitionEOF)
                {
                    entered.Add(result.Message.Key, result.Message.Value, result.Message.Timestamp.UtcDateTime, keep);
                }

                if (result.IsPartitionEOF || result.Offset.Value + 1 >= ends[result.Partition.Value])
                {
                    done.Add(result.Partition.Value);
                }
            }
        }

        consumer.Close();
        return entered;
    }

    /// <summary>Reads a file of messages, one per line (JSON readings or line protocol), in order.</summary>
    public static EnteredReadings FromFile(string path, Func<string, DateTimeOffset, bool> keep)
    {
        if (!File.Exists(path))
        {
            throw new ArgumentException($"verify: file '{path}' does not exist.");
        }

        var entered = new EnteredReadings();
        foreach (var line in File.ReadLines(path).Where(l => !string.IsNullOrWhiteSpace(l)))
        {
            entered.Add(null, Encoding.UTF8.GetBytes(line), DateTimeOffset.UtcNow, keep);
        }

        return entered;
    }

    private void Add(byte[]? key, byte[]? value, DateTimeOffset messageTime, Func<string, DateTimeOffset, bool> keep)
    {
        Messages++;
        var decoded = _decoder.Decode(key, value, messageTime);
        if (!decoded.IsValid)
        {
            Refused++;
            return;
        }

        foreach (var reading in decoded.Readings.Where(r => keep(r.SensorId, r.Timestamp)))
        {
            if (!Readings.TryGetValue(reading.SensorId, out var times))
            {
                Readings[reading.SensorId] = times = [];
            }

            times.Add(reading.Timestamp.ToUnixTimeMilliseconds());
        }
    }
}
