using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Polly;
using Polly.Retry;

namespace Forecast.Ingestion.Kafka;

/// <summary>
/// Produces refused messages to the dead-letter topic with the idempotent producer (<c>acks=all</c>),
/// headers saying why and where from, and waits for each delivery report; a failed delivery is retried
/// (see <see cref="RetryPipelines"/>; with a new producer after a fatal error), so the source offset is
/// never committed before its dead letter is stored.
/// </summary>
internal sealed partial class DeadLetterPublisher : IDisposable
{
    /// <summary>Oversized values are cut to this many bytes in the dead letter.</summary>
    public const int MaxCopiedBytes = 512 * 1024;

    private static readonly ResiliencePropertyKey<ConsumeResult<byte[], byte[]>?> SourceKey = new("Forecast.DeadLetterSource");

    private readonly KafkaIngestionOptions _options;
    private readonly ILogger<DeadLetterPublisher> _logger;
    private readonly ResiliencePipeline _retry;
    private readonly object _gate = new();
    private IProducer<byte[], byte[]>? _producer;

    public DeadLetterPublisher(KafkaIngestionOptions options, TimeProvider clock, ILogger<DeadLetterPublisher> logger)
    {
        _options = options;
        _logger = logger;
        _retry = RetryPipelines.UntilStopped(
            TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), clock, static e => e is ProduceException<byte[], byte[]>, OnRetry);
    }

    public async Task PublishAsync(ConsumeResult<byte[], byte[]> source, string reason, string detail, CancellationToken cancellationToken)
    {
        var value = source.Message.Value ?? [];
        var headers = new Headers
        {
            { "forecast.reason", Encoding.UTF8.GetBytes(reason) },
            { "forecast.error", Encoding.UTF8.GetBytes(ReadingDecoder.Shorten(detail)) },
            { "forecast.source.topic", Encoding.UTF8.GetBytes(source.Topic) },
            { "forecast.source.partition", Encoding.UTF8.GetBytes(source.Partition.Value.ToString(CultureInfo.InvariantCulture)) },
            { "forecast.source.offset", Encoding.UTF8.GetBytes(source.Offset.Value.ToString(CultureInfo.InvariantCulture)) },
        };
        if (value.Length > MaxCopiedBytes)
        {
            headers.Add("forecast.truncated-from", Encoding.UTF8.GetBytes(value.Length.ToString(CultureInfo.InvariantCulture)));
            value = value[..MaxCopiedBytes];
        }

        var message = new Message<byte[], byte[]> { Key = source.Message.Key, Value = value, Headers = headers };
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            context.Properties.Set(SourceKey, source);
            await _retry.ExecuteAsync(
                static async (context, state) => await state.Publisher.Producer().ProduceAsync(state.Publisher._options.DeadLetterTopic, state.Message, context.CancellationToken),
                context,
                (Publisher: this, Message: message));
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        LogDeadLettered(_logger, source.Topic, source.Partition.Value, source.Offset.Value, reason, detail);
    }

    public void Dispose() => Reset();

    private IProducer<byte[], byte[]> Producer()
    {
        lock (_gate)
        {
            return _producer ??= new ProducerBuilder<byte[], byte[]>(KafkaClients.Producer(_options)).Build();
        }
    }

    private void Reset()
    {
        lock (_gate)
        {
            _producer?.Flush(TimeSpan.FromSeconds(5));
            _producer?.Dispose();
            _producer = null;
        }
    }

    private ValueTask OnRetry(OnRetryArguments<object> args)
    {
        var exception = (ProduceException<byte[], byte[]>)args.Outcome.Exception!;
        var source = args.Context.Properties.GetValue(SourceKey, null)!;
        LogDeliveryFailed(_logger, exception, source.Partition.Value, source.Offset.Value, args.AttemptNumber);
        if (exception.Error.IsFatal)
        {
            // A fatal error leaves the producer unusable: the retry builds a new one.
            Reset();
        }

        return default;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead-lettered {Topic}[{Partition}]@{Offset}: {Reason}: {Detail}")]
    private static partial void LogDeadLettered(ILogger logger, string topic, int partition, long offset, string reason, string detail);

    [LoggerMessage(Level = LogLevel.Error, Message = "Dead letter of partition {Partition} offset {Offset} not delivered (attempt {Attempt}); retrying")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception exception, int partition, long offset, int attempt);
}
