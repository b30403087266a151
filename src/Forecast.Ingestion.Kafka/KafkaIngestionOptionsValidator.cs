using Microsoft.Extensions.Options;

namespace Forecast.Ingestion.Kafka;

/// <summary>Checks <see cref="KafkaIngestionOptions"/>; each message names the key and what it must be.</summary>
internal sealed class KafkaIngestionOptionsValidator : IValidateOptions<KafkaIngestionOptions>
{
    public ValidateOptionsResult Validate(string? name, KafkaIngestionOptions o)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(o.BootstrapServers))
        {
            failures.Add("Kafka:BootstrapServers is required, for example kafka:9092.");
        }

        if (string.IsNullOrWhiteSpace(o.Topic) || string.IsNullOrWhiteSpace(o.DeadLetterTopic) || o.Topic == o.DeadLetterTopic)
        {
            failures.Add("Kafka:Topic and Kafka:DeadLetterTopic must be set and differ (defaults sensor-readings and sensor-readings.dlq).");
        }

        if (string.IsNullOrWhiteSpace(o.GroupId))
        {
            failures.Add("Kafka:GroupId must be set (default forecast).");
        }

        if (o.MaxPollMessages < 1 || o.MaxConcurrentCalls < 1 || o.MaxInFlightReadings < 2)
        {
            failures.Add("Kafka:MaxPollMessages and Kafka:MaxConcurrentCalls must be at least 1, Kafka:MaxInFlightReadings at least 2.");
        }

        if (o.MaxMessageBytes < 64)
        {
            failures.Add("Kafka:MaxMessageBytes must be at least 64 (default 1048576).");
        }

        if (o.PollTimeout <= TimeSpan.Zero || o.DrainTimeout < TimeSpan.Zero || o.MaxFuture < TimeSpan.Zero || o.MaxAge <= TimeSpan.Zero)
        {
            failures.Add("Kafka:PollTimeout and Kafka:MaxAge must be positive; Kafka:DrainTimeout and Kafka:MaxFuture not negative.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
