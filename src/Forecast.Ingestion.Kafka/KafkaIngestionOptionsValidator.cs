using Forecast.Abstractions;

namespace Forecast.Ingestion.Kafka;

/// <summary>Checks <see cref="KafkaIngestionOptions"/>; each message names the key and what it must be.</summary>
internal sealed class KafkaIngestionOptionsValidator : OptionsValidator<KafkaIngestionOptions>
{
    protected override IEnumerable<string> Failures(KafkaIngestionOptions o)
    {
        if (string.IsNullOrWhiteSpace(o.BootstrapServers))
        {
            yield return "Kafka:BootstrapServers is required, for example kafka:9092.";
        }

        if (string.IsNullOrWhiteSpace(o.Topic) || string.IsNullOrWhiteSpace(o.DeadLetterTopic) || o.Topic == o.DeadLetterTopic)
        {
            yield return "Kafka:Topic and Kafka:DeadLetterTopic must be set and differ (defaults sensor-readings and sensor-readings.dlq).";
        }

        if (string.IsNullOrWhiteSpace(o.GroupId))
        {
            yield return "Kafka:GroupId must be set (default forecast).";
        }

        if (o.MaxPollMessages < 1 || o.MaxConcurrentCalls < 1 || o.MaxInFlightReadings < 2)
        {
            yield return "Kafka:MaxPollMessages and Kafka:MaxConcurrentCalls must be at least 1, Kafka:MaxInFlightReadings at least 2.";
        }

        if (o.MaxMessageBytes < 64)
        {
            yield return "Kafka:MaxMessageBytes must be at least 64 (default 1048576).";
        }

        if (o.PollTimeout <= TimeSpan.Zero || o.DrainTimeout < TimeSpan.Zero || o.MaxFuture < TimeSpan.Zero || o.MaxAge <= TimeSpan.Zero)
        {
            yield return "Kafka:PollTimeout and Kafka:MaxAge must be positive; Kafka:DrainTimeout and Kafka:MaxFuture not negative.";
        }

        // Pass-through settings that would break a promise rather than tune the client.
        if (o.Consumer.TryGetValue("enable.auto.offset.store", out var store) && !string.Equals(store?.Trim(), "false", StringComparison.OrdinalIgnoreCase))
        {
            yield return "Kafka:Consumer:enable.auto.offset.store must stay false: offsets are stored only once a reading is durable, " +
                "and storing them at poll would commit readings a crash then loses.";
        }

        if (o.Consumer.TryGetValue("group.protocol", out var protocol) && !string.Equals(protocol?.Trim(), "classic", StringComparison.OrdinalIgnoreCase))
        {
            yield return $"Kafka:Consumer:group.protocol '{protocol}' is not supported; remove it or set classic. Under KIP-848's consumer " +
                "protocol the broker owns the session timeout (group.consumer.session.timeout.ms, 45 s by default) and a crashed " +
                "silo's partitions would stop for that long, against 6 s with the classic protocol.";
        }
    }
}
