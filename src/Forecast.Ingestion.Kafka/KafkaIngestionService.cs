using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using Confluent.Kafka;
using Forecast.Abstractions;
using ErrorCode = Confluent.Kafka.ErrorCode;

namespace Forecast.Ingestion.Kafka;

/// <summary>
/// The silo's Kafka consumer: one per silo, in a consumer group with cooperative-sticky assignment.
/// It polls raw bytes, decodes them itself, dead-letters what is invalid, routes readings to sensor
/// grains grouped by sensor, and stores each partition's offset only at its watermark (below the lowest
/// reading still in flight). When too many readings are in flight it pauses its partitions and keeps
/// polling, so it stays in the group; on revoke it drains and commits; on loss it commits nothing.
/// It joins the group as the host starts (<see cref="StartingAsync"/>), and polls once the silo is up.
/// </summary>
public sealed partial class KafkaIngestionService : BackgroundService, IHostedLifecycleService
{
    private readonly KafkaIngestionOptions _options;
    private readonly ReadingDecoder _decoder;
    private readonly SensorRouter _router;
    private readonly DeadLetterPublisher _deadLetters;
    private readonly TimeProvider _clock;
    private readonly ILogger<KafkaIngestionService> _logger;
    private readonly ConcurrentDictionary<TopicPartition, PartitionWatermark> _partitions = new();
    private readonly CancellationTokenSource _abandon = new();
    private long _deadLettersInFlight;
    private long _deadLettered;
    private long _consumed;
    private bool _paused;

    // The consumer while it runs, for the lag gauge (read under the lock, so never after it is closed).
    private readonly Lock _lagLock = new();
    private IConsumer<byte[], byte[]>? _consumer;

    // Subscribed in StartingAsync, taken over by the poll loop.
    private IConsumer<byte[], byte[]>? _joined;

    internal KafkaIngestionService(
        KafkaIngestionOptions options,
        ReadingDecoder decoder,
        SensorRouter router,
        DeadLetterPublisher deadLetters,
        TimeProvider clock,
        ILogger<KafkaIngestionService> logger)
    {
        _options = options;
        _decoder = decoder;
        _router = router;
        _deadLetters = deadLetters;
        _clock = clock;
        _logger = logger;
    }

    /// <summary>Messages consumed since start.</summary>
    public long Consumed => Interlocked.Read(ref _consumed);

    /// <summary>Messages dead-lettered since start.</summary>
    public long DeadLettered => Interlocked.Read(ref _deadLettered);

    /// <summary>Readings consumed and not yet durably predicted.</summary>
    public long InFlight => _router.InFlight;

    /// <summary>Whether the partitions are paused because too many readings are in flight.</summary>
    public bool Paused => Volatile.Read(ref _paused);

    /// <summary>Times the consumer paused for backpressure since start.</summary>
    public int Pauses { get; private set; }

    /// <summary>
    /// Joins the consumer group as the host starts, before the silo does (which takes a second or two): the group's
    /// rebalance then runs while the silo boots, so a silo restarted after a crash gets its partitions that much
    /// sooner. They are polled only once the silo is up, in <see cref="ExecuteAsync"/>; librdkafka holds the
    /// assignment until then.
    /// </summary>
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        _joined ??= Subscribe();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => Consume(stoppingToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <inheritdoc />
    public override void Dispose()
    {
        // Joined, but the host never got to polling (another service failed to start): leave the group now.
        if (Interlocked.Exchange(ref _joined, null) is { } joined)
        {
            joined.Close();
            joined.Dispose();
        }

        _abandon.Dispose();
        base.Dispose();
    }

    private IConsumer<byte[], byte[]> Subscribe()
    {
        var consumer = new ConsumerBuilder<byte[], byte[]>(KafkaClients.Consumer(_options))
            .SetPartitionsAssignedHandler((_, partitions) => OnAssigned(partitions))
            .SetPartitionsRevokedHandler(OnRevoked)
            .SetPartitionsLostHandler((_, partitions) => OnLost(partitions))
            .SetErrorHandler((_, error) => LogClientError(_logger, error.Code, error.Reason))
            .SetLogHandler((_, message) => LogClientMessage(_logger, message.Facility, message.Message))
            .Build();
        consumer.Subscribe(_options.Topic);
        LogStarted(_logger, _options.Topic, _options.GroupId, _options.BootstrapServers);
        return consumer;
    }

    private void Consume(CancellationToken stoppingToken)
    {
        using var consumer = Interlocked.Exchange(ref _joined, null) ?? Subscribe();
        lock (_lagLock)
        {
            _consumer = consumer;
        }

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                PollBatch(consumer);
                ApplyBackpressure(consumer);
                StoreOffsets(consumer);
            }
        }
        finally
        {
            Drain();
            StoreOffsets(consumer);
            try
            {
                consumer.Commit();
            }
            catch (KafkaException exception)
            {
                if (exception.Error.Code != ErrorCode.Local_NoOffset)
                {
                    LogCommitFailed(_logger, exception.Error.Code, exception.Error.Reason);
                }
            }

            lock (_lagLock)
            {
                _consumer = null;
            }

            consumer.Close();
            _abandon.Cancel();
            LogStopped(_logger, Consumed, DeadLettered);
        }
    }

    /// <summary>Takes up to <see cref="KafkaIngestionOptions.MaxPollMessages"/> messages, then routes their readings grouped by sensor.</summary>
    private void PollBatch(IConsumer<byte[], byte[]> consumer)
    {
        var bySensor = new Dictionary<string, List<PendingReading>>(StringComparer.Ordinal);
        var wait = _options.PollTimeout;
        for (var taken = 0; taken < _options.MaxPollMessages; taken++)
        {
            ConsumeResult<byte[], byte[]>? result;
            try
            {
                result = consumer.Consume(wait);
            }
            catch (ConsumeException exception)
            {
                LogConsumeFailed(_logger, exception.Error.Code, exception.Error.Reason);
                break;
            }

            if (result is null)
            {
                break;
            }

            wait = TimeSpan.Zero;
            Handle(result, bySensor);
        }

        foreach (var (sensor, readings) in bySensor)
        {
            _router.Route(sensor, readings, _abandon.Token);
        }
    }

    private void Handle(ConsumeResult<byte[], byte[]> result, Dictionary<string, List<PendingReading>> bySensor)
    {
        Interlocked.Increment(ref _consumed);
        var watermark = _partitions.GetOrAdd(result.TopicPartition, _ => new PartitionWatermark());
        watermark.Register(result.Offset.Value);
        var producedAt = result.Message.Timestamp.UtcDateTime;
        var decoded = _decoder.Decode(result.Message.Key, result.Message.Value, producedAt);
        if (!decoded.IsValid)
        {
            Interlocked.Increment(ref _deadLettered);
            Interlocked.Increment(ref _deadLettersInFlight);
            _ = _deadLetters.PublishAsync(result, decoded.Reason!, decoded.Detail!, _abandon.Token).ContinueWith(
                delivered =>
                {
                    if (delivered.IsCompletedSuccessfully)
                    {
                        PendingMessage.Complete(watermark, result.Offset.Value);
                    }

                    Interlocked.Decrement(ref _deadLettersInFlight);
                },
                TaskScheduler.Default);
            return;
        }

        var message = new PendingMessage(watermark, result.Offset.Value, decoded.Readings.Count, producedAt, TraceOf(result.Message));
        foreach (var reading in decoded.Readings)
        {
            if (!bySensor.TryGetValue(reading.SensorId, out var list))
            {
                bySensor[reading.SensorId] = list = [];
            }

            list.Add(new PendingReading(reading, message));
        }
    }

    private void ApplyBackpressure(IConsumer<byte[], byte[]> consumer)
    {
        var inFlight = _router.InFlight + Interlocked.Read(ref _deadLettersInFlight);
        if (!_paused && inFlight > _options.MaxInFlightReadings)
        {
            _paused = true;
            Pauses++;
            LogPaused(_logger, inFlight);
        }
        else if (_paused && inFlight <= _options.MaxInFlightReadings / 2)
        {
            _paused = false;
            consumer.Resume(consumer.Assignment);
            LogResumed(_logger, inFlight);
        }

        if (_paused)
        {
            // Also covers partitions assigned while paused.
            consumer.Pause(consumer.Assignment);
        }
    }

    /// <summary>Stores each owned partition's watermark; librdkafka commits stored offsets every 250 ms.</summary>
    private void StoreOffsets(IConsumer<byte[], byte[]> consumer, IEnumerable<TopicPartition>? only = null)
    {
        foreach (var partition in only ?? consumer.Assignment)
        {
            if (_partitions.TryGetValue(partition, out var watermark) && watermark.Committable is { } offset && offset > watermark.Stored)
            {
                try
                {
                    consumer.StoreOffset(new TopicPartitionOffset(partition, offset));
                    watermark.Stored = offset;
                }
                catch (KafkaException exception)
                {
                    // Not ours any more (Local_State): the new owner continues from the last commit.
                    LogStoreFailed(_logger, partition.Partition.Value, exception.Error.Code);
                }
            }
        }
    }

    /// <summary>The producer's trace from a W3C <c>traceparent</c> header, when spans are listened to.</summary>
    internal static ActivityContext TraceOf(Message<byte[], byte[]> message) =>
        ForecastTelemetry.Source.HasListeners()
        && message.Headers is { } headers
        && headers.TryGetLastBytes("traceparent", out var traceparent)
        && ActivityContext.TryParse(Encoding.ASCII.GetString(traceparent), null, out var trace)
            ? trace
            : default;

    /// <summary>Publishes <c>forecast.kafka.lag</c>: messages behind each assigned partition's high watermark.</summary>
    internal void PublishLag(IMeterFactory? meters) =>
        meters?.Create(ForecastTelemetry.Name).CreateObservableGauge(
            "forecast.kafka.lag", Lag, "{message}", "Messages behind the high watermark, per assigned partition.");

    private List<Measurement<long>> Lag()
    {
        var lags = new List<Measurement<long>>();
        lock (_lagLock)
        {
            if (_consumer is not { } consumer)
            {
                return lags;
            }

            foreach (var partition in _partitions.Keys)
            {
                // Both read what the consumer already knows (no broker round trip), and are thread-safe in librdkafka.
                var high = consumer.GetWatermarkOffsets(partition).High;
                var position = consumer.Position(partition);
                if (high != Offset.Unset && position != Offset.Unset)
                {
                    lags.Add(new(Math.Max(0, high.Value - position.Value), new("topic", partition.Topic), new("partition", partition.Partition.Value)));
                }
            }
        }

        return lags;
    }

    private void OnAssigned(List<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
        {
            _partitions[partition] = new PartitionWatermark();
        }

        LogAssigned(_logger, string.Join(",", partitions.Select(p => p.Partition.Value)));
    }

    /// <summary>Drains the revoked partitions' in-flight readings (bounded by the drain timeout), then commits their watermarks.</summary>
    private void OnRevoked(IConsumer<byte[], byte[]> consumer, List<TopicPartitionOffset> revoked)
    {
        var partitions = revoked.Select(p => p.TopicPartition).ToList();
        if (!PartitionWatermark.WaitDrained(Watermarks(partitions), _options.DrainTimeout, _clock))
        {
            LogDrainTimedOut(_logger, _options.DrainTimeout, InFlightIn(partitions));
        }

        StoreOffsets(consumer, partitions);
        var offsets = partitions
            .Where(p => _partitions.TryGetValue(p, out var w) && w.Stored >= 0)
            .Select(p => new TopicPartitionOffset(p, _partitions[p].Stored))
            .ToList();
        try
        {
            if (offsets.Count > 0)
            {
                consumer.Commit(offsets);
            }
        }
        catch (KafkaException exception)
        {
            // An invalid generation during a cooperative rebalance: the readings are redelivered and ignored as replays.
            LogCommitFailed(_logger, exception.Error.Code, exception.Error.Reason);
        }

        Forget(partitions);
        LogRevoked(_logger, string.Join(",", partitions.Select(p => p.Partition.Value)));
    }

    private void OnLost(List<TopicPartitionOffset> lost)
    {
        // Another member owns them now: commit nothing; in-flight readings finish but store nothing.
        Forget(lost.Select(p => p.TopicPartition));
        LogLost(_logger, string.Join(",", lost.Select(p => p.Partition.Value)));
    }

    private void Forget(IEnumerable<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
        {
            if (_partitions.TryRemove(partition, out var watermark))
            {
                watermark.Detached = true;
            }
        }
    }

    /// <summary>
    /// On shutdown: lets the owned partitions' in-flight readings and dead letters finish (bounded by the
    /// drain timeout) so their offsets can be committed.
    /// </summary>
    private void Drain()
    {
        var partitions = _partitions.Keys.ToList();
        if (!PartitionWatermark.WaitDrained(Watermarks(partitions), _options.DrainTimeout, _clock))
        {
            LogDrainTimedOut(_logger, _options.DrainTimeout, InFlightIn(partitions));
        }
    }

    private List<PartitionWatermark> Watermarks(IEnumerable<TopicPartition> partitions) =>
        [.. partitions.Select(p => _partitions.TryGetValue(p, out var w) ? w : null).OfType<PartitionWatermark>()];

    private long InFlightIn(IEnumerable<TopicPartition> partitions) => Watermarks(partitions).Sum(w => (long)w.InFlight);

    [LoggerMessage(Level = LogLevel.Information, Message = "Consuming {Topic} as group {GroupId} from {BootstrapServers}")]
    private static partial void LogStarted(ILogger logger, string topic, string groupId, string bootstrapServers);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped consuming: {Consumed} messages, {DeadLettered} dead-lettered")]
    private static partial void LogStopped(ILogger logger, long consumed, long deadLettered);

    [LoggerMessage(Level = LogLevel.Information, Message = "Assigned partitions {Partitions}")]
    private static partial void LogAssigned(ILogger logger, string partitions);

    [LoggerMessage(Level = LogLevel.Information, Message = "Revoked partitions {Partitions}; drained and committed")]
    private static partial void LogRevoked(ILogger logger, string partitions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Drain timed out after {Timeout} with {InFlight} messages in flight; committing what finished, the rest is redelivered")]
    private static partial void LogDrainTimedOut(ILogger logger, TimeSpan timeout, long inFlight);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost partitions {Partitions}; nothing committed for them")]
    private static partial void LogLost(ILogger logger, string partitions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Paused consumption: {InFlight} readings in flight (the sink or inference is behind)")]
    private static partial void LogPaused(ILogger logger, long inFlight);

    [LoggerMessage(Level = LogLevel.Information, Message = "Resumed consumption: {InFlight} readings in flight")]
    private static partial void LogResumed(ILogger logger, long inFlight);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kafka client error {Code}: {Reason}")]
    private static partial void LogClientError(ILogger logger, ErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "librdkafka {Facility}: {Message}")]
    private static partial void LogClientMessage(ILogger logger, string facility, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consume failed {Code}: {Reason}")]
    private static partial void LogConsumeFailed(ILogger logger, ErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Commit failed {Code}: {Reason}; the uncommitted readings are redelivered and ignored as replays")]
    private static partial void LogCommitFailed(ILogger logger, ErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Offset of partition {Partition} not stored ({Code}); it is no longer ours")]
    private static partial void LogStoreFailed(ILogger logger, int partition, ErrorCode code);
}
