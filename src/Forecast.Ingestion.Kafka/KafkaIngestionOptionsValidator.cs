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
    }
}
