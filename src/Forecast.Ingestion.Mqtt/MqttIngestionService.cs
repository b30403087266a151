using System.Buffers;
using System.Text;
using System.Threading.Channels;
using Forecast.Abstractions;
using MQTTnet;
using MQTTnet.Protocol;
using Polly;

namespace Forecast.Ingestion.Mqtt;

/// <summary>
/// Subscribes to <see cref="MqttIngestionOptions.Topic"/> at QoS 1 in a persistent session and acknowledges each
/// message by hand, only once its readings are durable (<see cref="IReadingWriter"/>): a silo that dies before
/// that gets the message again from the broker, and its grain ignores a reading it already applied. Messages are
/// made durable in batches of what has arrived, and acknowledged in the order they came.
/// </summary>
internal sealed partial class MqttIngestionService(
    MqttIngestionOptions options,
    IReadingWriter writer,
    TimeProvider clock,
    ILogger<MqttIngestionService> logger) : BackgroundService
{
    private readonly Channel<MqttApplicationMessageReceivedEventArgs> _received = Channel.CreateUnbounded<MqttApplicationMessageReceivedEventArgs>(
        new UnboundedChannelOptions { SingleReader = true });

    private readonly ReadingDecoder _decoder = new(options.Limits, clock);
    private readonly TopicSensor _sensors = TopicSensor.From(options);
    private readonly ResiliencePipeline _retry = RetryPipelines.UntilStopped(
        TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), clock, static _ => true, args =>
        {
            LogWriteFailed(logger, args.AttemptNumber, args.Outcome.Exception!.Message);
            return default;
        });
    private IMqttClient? _client;
    private long _messages;
    private long _readings;
    private long _deadLettered;

    /// <summary>Messages acknowledged (durable or dead-lettered).</summary>
    public long Messages => Interlocked.Read(ref _messages);

    /// <summary>Readings made durable.</summary>
    public long Readings => Interlocked.Read(ref _readings);

    /// <summary>Messages refused for their payload or topic.</summary>
    public long DeadLettered => Interlocked.Read(ref _deadLettered);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        _client = client;
        client.ApplicationMessageReceivedAsync += e =>
        {
            e.AutoAcknowledge = false;
            _received.Writer.TryWrite(e);
            return Task.CompletedTask;
        };
        var processing = ProcessAsync(stoppingToken);
        await StayConnectedAsync(client, stoppingToken);
        _received.Writer.TryComplete();
        await processing;
        if (client.IsConnected)
        {
            await client.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None);
        }
    }

    private async Task StayConnectedAsync(IMqttClient client, CancellationToken stoppingToken)
    {
        var (host, port) = options.Endpoint()!.Value;
        var connect = ConnectOptions(host, port);
        var subscribe = new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(f => f.WithTopic(options.Topic).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce))
            .Build();
        var backoff = TimeSpan.FromMilliseconds(250);
        var down = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!client.IsConnected)
                {
                    var result = await client.ConnectAsync(connect, stoppingToken);
                    await client.SubscribeAsync(subscribe, stoppingToken);
                    LogConnected(logger, options.Server, options.Topic, options.EffectiveClientId, result.IsSessionPresent);
                    backoff = TimeSpan.FromMilliseconds(250);
                    down = false;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(500), clock, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                if (!down)
                {
                    LogUnreachable(logger, options.Server, exception.Message);
                    down = true;
                }

                await DelayAsync(backoff, stoppingToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    private MqttClientOptions ConnectOptions(string host, int port)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(host, port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithClientId(options.EffectiveClientId)
            // A persistent session: the broker keeps the subscription and every unacknowledged message while we are away.
            .WithCleanStart(false)
            .WithSessionExpiryInterval((uint)options.SessionExpiry.TotalSeconds)
            .WithReceiveMaximum((ushort)options.ReceiveMaximum)
            .WithTimeout(TimeSpan.FromSeconds(10));
        var password = options.PasswordFile is { } file ? File.ReadLines(file).FirstOrDefault() ?? "" : options.Password;
        if (!string.IsNullOrEmpty(options.Username))
        {
            builder.WithCredentials(options.Username, password);
        }

        if (options.Tls)
        {
            builder.WithTlsOptions(tls =>
            {
                tls.UseTls();
                if (options.AllowUntrustedCertificates)
                {
                    tls.WithCertificateValidationHandler(_ => true);
                }
            });
        }

        return builder.Build();
    }

    private async Task ProcessAsync(CancellationToken stoppingToken)
    {
        var batch = new List<MqttApplicationMessageReceivedEventArgs>(options.ReceiveMaximum);
        try
        {
            while (await _received.Reader.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                while (batch.Count < options.ReceiveMaximum && _received.Reader.TryRead(out var message))
                {
                    batch.Add(message);
                }

                await ProcessBatchAsync(batch, stoppingToken);
            }
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            // Unacknowledged messages stay with the broker and come again to the next session.
        }
    }

    private async Task ProcessBatchAsync(List<MqttApplicationMessageReceivedEventArgs> batch, CancellationToken stoppingToken)
    {
        var readings = new List<SensorReading>();
        var refused = new List<(MqttApplicationMessage Message, string Reason, string Detail)>();
        var now = clock.GetUtcNow();
        foreach (var received in batch)
        {
            var message = received.ApplicationMessage;
            var sensor = _sensors.Of(message.Topic);
            var decoded = sensor is null
                ? DecodeResult.Refuse(DeadLetterReason.BadSensorId, $"Topic '{ReadingDecoder.Shorten(message.Topic)}' has no level for Mqtt:SensorId.")
                : _decoder.DecodeFor(sensor, message.Payload.ToArray(), now);
            if (decoded.IsValid)
            {
                readings.AddRange(decoded.Readings);
            }
            else
            {
                refused.Add((message, decoded.Reason!, decoded.Detail!));
            }
        }

        await WriteUntilDurableAsync(readings, stoppingToken);
        foreach (var (message, reason, detail) in refused)
        {
            await DeadLetterAsync(message, reason, detail, stoppingToken);
        }

        foreach (var received in batch)
        {
            try
            {
                await received.AcknowledgeAsync(stoppingToken);
                Interlocked.Increment(ref _messages);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // The connection dropped: the broker sends the message again, and the grain ignores it as applied.
                LogAckFailed(logger, exception.Message);
            }
        }
    }

    private async Task WriteUntilDurableAsync(List<SensorReading> readings, CancellationToken stoppingToken)
    {
        if (readings.Count == 0)
        {
            return;
        }

        // Retried until durable or stopping: the messages stay unacknowledged meanwhile, so none is lost.
        await _retry.ExecuteAsync(static (state, token) => new ValueTask(state.writer.WriteAsync(state.readings, token)), (writer, readings), stoppingToken);
        Interlocked.Add(ref _readings, readings.Count);
    }

    private async Task DeadLetterAsync(MqttApplicationMessage message, string reason, string detail, CancellationToken stoppingToken)
    {
        Interlocked.Increment(ref _deadLettered);
        LogRefused(logger, message.Topic, reason, detail);
        if (string.IsNullOrWhiteSpace(options.DeadLetterTopic) || _client is not { IsConnected: true } client)
        {
            return;
        }

        var copy = new MqttApplicationMessageBuilder()
            .WithTopic(options.DeadLetterTopic)
            .WithPayload(message.Payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithUserProperty("reason", Encoding.UTF8.GetBytes(reason))
            .WithUserProperty("detail", Encoding.UTF8.GetBytes(detail))
            .WithUserProperty("topic", Encoding.UTF8.GetBytes(message.Topic))
            .Build();
        try
        {
            await client.PublishAsync(copy, stoppingToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogDeadLetterFailed(logger, options.DeadLetterTopic, exception.Message);
        }
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(delay, clock, stoppingToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "MQTT: subscribed to {Topic} on {Server} as {ClientId} at QoS 1 (session kept by the broker: {SessionPresent})")]
    private static partial void LogConnected(ILogger logger, string server, string topic, string clientId, bool sessionPresent);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT: cannot reach {Server} ({Reason}); retrying")]
    private static partial void LogUnreachable(ILogger logger, string server, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT: readings could not be made durable (attempt {Attempt}: {Reason}); retrying before acknowledging")]
    private static partial void LogWriteFailed(ILogger logger, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT: refused a message on {Topic} ({Reason}): {Detail}")]
    private static partial void LogRefused(ILogger logger, string topic, string reason, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT: could not publish to the dead-letter topic {Topic}: {Reason}")]
    private static partial void LogDeadLetterFailed(ILogger logger, string topic, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "MQTT: acknowledgement not sent ({Reason}); the broker will deliver the message again")]
    private static partial void LogAckFailed(ILogger logger, string reason);
}
