using Confluent.Kafka;

namespace Forecast.Ingestion.Kafka;

/// <summary>Client configurations: our safe defaults, then the pass-through sections, which win.</summary>
internal static class KafkaClients
{
    public static ConsumerConfig Consumer(KafkaIngestionOptions options)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = options.BootstrapServers,
            GroupId = options.GroupId,
            // Offsets are stored by us at the watermark, after durable processing; librdkafka commits what is stored.
            EnableAutoOffsetStore = false,
            EnableAutoCommit = true,
            // Four commits a second: after a rebalance the new owners' progress shows (and a crash replays) within
            // 250 ms rather than a second. Each is one small request per silo.
            AutoCommitIntervalMs = 250,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
            EnablePartitionEof = false,
            // A dead silo's partitions move after 6 s (brokers' default minimum) instead of librdkafka's 45 s.
            SessionTimeoutMs = 6_000,
            HeartbeatIntervalMs = 1_000,
            // A fetch returns within 100 ms even when little arrived: latency over request count.
            FetchWaitMaxMs = 100,
        };
        foreach (var (key, value) in options.Consumer)
        {
            config.Set(key, value);
        }

        return config;
    }

    public static ProducerConfig Producer(KafkaIngestionOptions options)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = options.BootstrapServers,
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = 5,
            MessageMaxBytes = Math.Max(1_000_000, DeadLetterPublisher.MaxCopiedBytes + 65_536),
        };
        foreach (var (key, value) in options.Producer)
        {
            config.Set(key, value);
        }

        return config;
    }
}
