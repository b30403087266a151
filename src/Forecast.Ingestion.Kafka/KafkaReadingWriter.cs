using System.Text.Json;
using Confluent.Kafka;
using Forecast.Abstractions;

namespace Forecast.Ingestion.Kafka;

/// <summary>
/// The edge's <see cref="IReadingWriter"/> when Kafka is configured: each reading is produced to the readings topic
/// (JSON, key = sensor id, so a sensor's readings share a partition and keep their order) with <c>acks=all</c>
/// and idempotence, and is durable once every delivery report is in. The silos consume it like any other.
/// </summary>
internal sealed class KafkaReadingWriter(KafkaIngestionOptions options) : IReadingWriter, IDisposable
{
    private readonly Lazy<IProducer<string, byte[]>> _producer = new(() => new ProducerBuilder<string, byte[]>(KafkaClients.Producer(options)).Build());

    public async Task WriteAsync(IReadOnlyList<SensorReading> readings, CancellationToken cancellationToken)
    {
        var producer = _producer.Value;
        var deliveries = new Task[readings.Count];
        for (var i = 0; i < readings.Count; i++)
        {
            var reading = readings[i];
            deliveries[i] = producer.ProduceAsync(
                options.Topic,
                new Message<string, byte[]> { Key = reading.SensorId, Value = Json(reading), Timestamp = new Timestamp(reading.Timestamp) },
                cancellationToken);
        }

        await Task.WhenAll(deliveries);
    }

    /// <summary>The topic's own format: <c>{"sensor":…,"ts":"…","value":…}</c>, the timestamp to the tick.</summary>
    internal static byte[] Json(SensorReading reading)
    {
        using var buffer = new MemoryStream(96);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("sensor", reading.SensorId);
            json.WriteString("ts", reading.Timestamp);
            json.WriteNumber("value", reading.Value);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public void Dispose()
    {
        if (_producer.IsValueCreated)
        {
            _producer.Value.Flush(TimeSpan.FromSeconds(10));
            _producer.Value.Dispose();
        }
    }
}
