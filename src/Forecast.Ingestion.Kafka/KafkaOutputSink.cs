using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Forecast.Abstractions;

namespace Forecast.Ingestion.Kafka;

/// <summary>
/// Writes to the configured sink, then produces the batch's predictions and anomaly events to their
/// Kafka topics (JSON, key = sensor id) and waits for every delivery report, so a reading counts as
/// durable only when both hold it. For alerting integrations that prefer Kafka.
/// </summary>
internal sealed class KafkaOutputSink(IPredictionSink inner, KafkaIngestionOptions options) : IPredictionSink, IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly IProducer<string, byte[]> _producer = new ProducerBuilder<string, byte[]>(KafkaClients.Producer(options)).Build();

    public async ValueTask WriteAsync(SinkBatch batch, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(batch, cancellationToken);
        var deliveries = new List<Task>();
        if (options.PredictionsTopic is { Length: > 0 } predictions)
        {
            deliveries.AddRange(batch.Predictions.Select(p => Produce(predictions, p.SensorId, p, cancellationToken)));
        }

        if (options.AnomaliesTopic is { Length: > 0 } anomalies)
        {
            deliveries.AddRange(batch.Anomalies.Select(a => Produce(anomalies, a.SensorId, a, cancellationToken)));
        }

        await Task.WhenAll(deliveries);
    }

    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(10));
        _producer.Dispose();
    }

    private Task Produce<T>(string topic, string key, T value, CancellationToken cancellationToken) =>
        _producer.ProduceAsync(topic, new Message<string, byte[]> { Key = key, Value = JsonSerializer.SerializeToUtf8Bytes(value, Json) }, cancellationToken);

    /// <summary>Reads a prediction produced by this sink.</summary>
    public static Prediction? ReadPrediction(byte[] value) => JsonSerializer.Deserialize<Prediction>(Encoding.UTF8.GetString(value), Json);
}
