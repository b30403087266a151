using System.Buffers;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Forecast.Abstractions;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;

namespace Forecast.Sinks.InfluxDb;

/// <summary>
/// Writes predictions, anomalies and readings to InfluxDB. Callers format their own lines, take room
/// in a bounded buffer (waiting while it is full), and queue them on a channel that one background
/// writer drains in batches; each caller's task completes when the HTTP write holding its lines has
/// succeeded, and faults when the server refused any of them for good.
/// </summary>
internal sealed class InfluxDbSink : IPredictionSink, IAsyncDisposable, IDisposable
{
    // Requests spent finding which lines of a refused batch the server objects to, per batch.
    private const int MaxIsolationRequests = 64;
    private const int AttemptsBeforeDown = 3;
    private const int EstimatedBytesPerLine = 160;

    // How long a lingering batch waits for the next write before it goes out anyway.
    private static readonly TimeSpan QuietGap = TimeSpan.FromMilliseconds(2);

    // What the retry pipeline's callbacks need to know about the send in progress.
    private static readonly ResiliencePropertyKey<int> LinesKey = new("Forecast.InfluxDb.Lines");
    private static readonly ResiliencePropertyKey<int> RetriesKey = new("Forecast.InfluxDb.Retries");

    private readonly InfluxDbSinkOptions _options;
    private readonly IInfluxDbTransport _transport;
    private readonly LineProtocolFormatter _formatter;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly InfluxDbSinkTelemetry _telemetry;
    private readonly LineBudget _budget;
    private readonly Channel<PendingWrite> _channel;
    private readonly ResiliencePipeline<WriteOutcome> _retry;
    private readonly CancellationTokenSource _abort = new();
    private readonly Lazy<Task> _writer;
    private int _disposed;

    public InfluxDbSink(
        InfluxDbSinkOptions options,
        IInfluxDbTransport transport,
        ILogger<InfluxDbSink>? logger = null,
        TimeProvider? timeProvider = null,
        IMeterFactory? meterFactory = null)
    {
        _options = options;
        _transport = transport;
        _formatter = LineProtocolFormatter.From(options);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
        Health = new InfluxDbSinkHealth(options.ToString());
        _telemetry = new InfluxDbSinkTelemetry(meterFactory, Health);
        _budget = new LineBudget(options.Capacity);
        _channel = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
        _retry = BuildRetry();

        // The writer starts with the first write (or with DisposeAsync), not while the sink is built.
        _writer = new Lazy<Task>(() => Task.Run(RunWriterAsync));
        Log.Started(_logger, options.ToString(), options.BatchSize, options.Capacity, options.Gzip);
    }

    /// <summary>Live state and counters.</summary>
    public InfluxDbSinkHealth Health { get; }

    /// <summary>Builds the sink with the transport <paramref name="options"/> ask for.</summary>
    public static InfluxDbSink Create(
        InfluxDbSinkOptions options,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null,
        IMeterFactory? meterFactory = null)
    {
        var validation = new InfluxDbSinkOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new ArgumentException(validation.FailureMessage, nameof(options));
        }

        timeProvider ??= TimeProvider.System;
        var token = TokenOf(options);
        IInfluxDbTransport transport = options.Version == InfluxDbVersion.V1
            ? new InfluxDbV1Transport(options, token, timeProvider)
            : new InfluxDbV2Transport(options, token!);
        return new InfluxDbSink(options, transport, loggerFactory?.CreateLogger<InfluxDbSink>(), timeProvider, meterFactory);
    }

    /// <summary>The API token, set inline or in <see cref="InfluxDbSinkOptions.TokenFile"/>; null without one.</summary>
    internal static string? TokenOf(InfluxDbSinkOptions options) =>
        !string.IsNullOrWhiteSpace(options.Token)
            ? options.Token
            : !string.IsNullOrWhiteSpace(options.TokenFile) ? File.ReadAllText(options.TokenFile).Trim() : null;

    public ValueTask WriteAsync(SinkBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (Volatile.Read(ref _disposed) != 0)
        {
            return ValueTask.FromException(new InfluxDbWriteException("The InfluxDB sink is stopped; the batch was not written."));
        }

        var buffer = new LineBuffer(_formatter.CountLines(batch) * EstimatedBytesPerLine);
        int lines;
        try
        {
            lines = _formatter.Format(batch, buffer);
        }
        catch (InfluxDbInvalidPointException ex)
        {
            buffer.Release();
            Health.AddInvalid(ex.NonFiniteValues);
            _telemetry.NonFiniteValues.Add(ex.NonFiniteValues);
            Log.InvalidBatch(_logger, ex.NonFiniteValues, ex.Message);
            return ValueTask.FromException(ex);
        }

        if (lines == 0)
        {
            buffer.Release();
            return ValueTask.CompletedTask;
        }

        return EnqueueAsync(new PendingWrite(buffer, lines, _budget.WeightOf(lines)), cancellationToken);
    }

    private async ValueTask EnqueueAsync(PendingWrite write, CancellationToken cancellationToken)
    {
        try
        {
            await _budget.AcquireAsync(write.Weight, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            write.Buffer.Release();
            throw;
        }

        Health.AddBuffered(write.Lines);
        _ = _writer.Value; // started before the write is queued, so DisposeAsync always waits for the one that drains it
        if (!_channel.Writer.TryWrite(write))
        {
            Finish(write);
            throw new InfluxDbWriteException("The InfluxDB sink is stopped; the batch was not written.");
        }

        await write.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task RunWriterAsync()
    {
        var batch = new List<PendingWrite>();
        var reader = _channel.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_abort.Token).ConfigureAwait(false))
            {
                await CollectAsync(reader, batch).ConfigureAwait(false);
                try
                {
                    await WriteBatchAsync(batch).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !_abort.IsCancellationRequested)
                {
                    Log.WriterFailed(_logger, ex);
                    foreach (var write in batch)
                    {
                        write.Completion.TrySetException(new InfluxDbWriteException("The InfluxDB sink failed while writing this batch.", ex));
                    }
                }
                finally
                {
                    foreach (var write in batch)
                    {
                        if (!write.Completion.Task.IsCompleted)
                        {
                            // Only when stopping mid-write: every other path has told the caller.
                            write.Completion.TrySetException(new InfluxDbWriteException("The InfluxDB sink stopped before this batch was durably written."));
                        }

                        Finish(write);
                    }

                    batch.Clear();
                }
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // Stopping: what is still queued is faulted below.
        }

        var stopped = new InfluxDbWriteException("The InfluxDB sink stopped before this batch was durably written.");
        long pending = 0;
        while (reader.TryRead(out var write))
        {
            pending += write.Lines;
            write.Completion.TrySetException(stopped);
            Finish(write);
        }

        if (pending > 0)
        {
            Log.StoppedWithPending(_logger, pending);
        }
    }

    /// <summary>Takes queued writes into <paramref name="batch"/> until it is full or has lingered long enough.</summary>
    private async Task CollectAsync(ChannelReader<PendingWrite> reader, List<PendingWrite> batch)
    {
        var lines = 0;
        var deadline = _timeProvider.GetTimestamp() + (long)(_options.Linger.TotalSeconds * _timeProvider.TimestampFrequency);
        while (true)
        {
            while (lines < _options.BatchSize && reader.TryPeek(out var next))
            {
                if (lines > 0 && lines + next.Lines > _options.BatchSize)
                {
                    return;
                }

                reader.TryRead(out next);
                batch.Add(next!);
                lines += next!.Lines;
            }

            if (lines >= _options.BatchSize)
            {
                return;
            }

            var remaining = _timeProvider.GetElapsedTime(_timeProvider.GetTimestamp(), deadline);
            if (remaining <= TimeSpan.Zero)
            {
                return;
            }

            // Callers wait for durability before they write again, so once every caller is waiting no
            // more lines come: stop lingering when arrivals pause instead of holding them all for Linger.
            using var linger = new CancellationTokenSource(remaining < QuietGap ? remaining : QuietGap, _timeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(linger.Token, _abort.Token);
            try
            {
                if (!await reader.WaitToReadAsync(linked.Token).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (!_abort.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task WriteBatchAsync(List<PendingWrite> batch)
    {
        var bytes = 0;
        var lines = 0;
        foreach (var write in batch)
        {
            bytes += write.Buffer.Length;
            lines += write.Lines;
        }

        var body = ArrayPool<byte>.Shared.Rent(bytes);
        try
        {
            var offset = 0;
            foreach (var write in batch)
            {
                write.Buffer.Span.CopyTo(body.AsSpan(offset));
                offset += write.Buffer.Length;
            }

            var outcome = await SendWithRetryAsync(body.AsMemory(0, bytes), lines).ConfigureAwait(false);
            switch (outcome.Kind)
            {
                case WriteOutcomeKind.Success:
                    Written(lines);
                    foreach (var write in batch)
                    {
                        write.Completion.TrySetResult();
                    }

                    break;
                case WriteOutcomeKind.Rejected:
                    await ResolveRejectionAsync(batch, body.AsMemory(0, bytes), outcome).ConfigureAwait(false);
                    break;
                default:
                    var failure = new InfluxDbWriteException($"InfluxDB write of {lines} lines gave up after {_options.MaxRetries + 1} attempts: {outcome.Describe()}");
                    foreach (var write in batch)
                    {
                        write.Completion.TrySetException(failure);
                    }

                    break;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }
    }

    /// <summary>
    /// Sends <paramref name="body"/> through the retry pipeline until it succeeds or is refused. Returns a
    /// retryable outcome only when <see cref="InfluxDbSinkOptions.MaxRetries"/> ran out.
    /// </summary>
    private async Task<WriteOutcome> SendWithRetryAsync(ReadOnlyMemory<byte> body, int lines)
    {
        var context = ResilienceContextPool.Shared.Get(_abort.Token);
        try
        {
            context.Properties.Set(LinesKey, lines);
            var outcome = await _retry.ExecuteAsync(
                static (context, state) => state.Sink.SendOnceAsync(state.Body, context.CancellationToken),
                context,
                (Sink: this, Body: body)).ConfigureAwait(false);
            var retries = context.Properties.GetValue(RetriesKey, 0);
            if (outcome.Kind != WriteOutcomeKind.Retryable)
            {
                if (retries > 0)
                {
                    Log.Resumed(_logger, retries);
                }

                return outcome;
            }

            // The pipeline also hands back the last failure when the sink stops: that is not giving up.
            _abort.Token.ThrowIfCancellationRequested();
            Failed(outcome, retries);
            Log.GaveUp(_logger, lines, retries + 1, outcome.Describe());
            return outcome;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private async ValueTask<WriteOutcome> SendOnceAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        Health.AddRequest();
        _telemetry.Requests.Add(1);
        var started = _timeProvider.GetTimestamp();
        try
        {
            return await _transport.WriteAsync(body, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // The sink sends one request at a time, so this latency, not CPU, is what bounds its points/s.
            _telemetry.RequestDuration.Record(_timeProvider.GetElapsedTime(started).TotalSeconds);
        }
    }

    /// <summary>
    /// Retries retryable outcomes (network, 5xx, 429, 408, 401/403/404) with jittered exponential backoff
    /// from <see cref="InfluxDbSinkOptions.InitialBackoff"/> up to <see cref="InfluxDbSinkOptions.MaxBackoff"/>,
    /// or after the server's <c>Retry-After</c> when it sent one (even when longer), waiting on the sink's clock.
    /// </summary>
    private ResiliencePipeline<WriteOutcome> BuildRetry()
    {
        if (_options.MaxRetries == 0)
        {
            // Polly's retry takes at least one retry; none wanted means no retry strategy.
            return ResiliencePipeline<WriteOutcome>.Empty;
        }

        return new ResiliencePipelineBuilder<WriteOutcome> { TimeProvider = _timeProvider }
            .AddRetry(new RetryStrategyOptions<WriteOutcome>
            {
                // The transport throws only for cancellation, which is never retried.
                ShouldHandle = static args => ValueTask.FromResult(args.Outcome is { Exception: null, Result.Kind: WriteOutcomeKind.Retryable }),
                MaxRetryAttempts = _options.MaxRetries ?? int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.InitialBackoff,
                MaxDelay = _options.MaxBackoff,
                DelayGenerator = static args => ValueTask.FromResult(args.Outcome.Result.RetryAfter),
                OnRetry = args =>
                {
                    var outcome = args.Outcome.Result;
                    args.Context.Properties.Set(RetriesKey, args.AttemptNumber + 1);
                    Failed(outcome, args.AttemptNumber);
                    Log.Retrying(_logger, args.Context.Properties.GetValue(LinesKey, 0), args.AttemptNumber + 1, args.RetryDelay, outcome.Describe());
                    return default;
                },
            })
            .Build();
    }

    /// <summary>Reports the failed attempt number <paramref name="attempt"/> (from 0) to the health state and the counters.</summary>
    private void Failed(WriteOutcome outcome, int attempt)
    {
        Health.Failed(outcome.Describe(), outcome.IsConfigurationError || attempt + 1 >= AttemptsBeforeDown, _timeProvider.GetUtcNow());
        _telemetry.FailedRequests.Add(1);
    }

    /// <summary>
    /// The server refused the batch or part of it. Finds the offending lines (quoted by the server, or
    /// by resending halves: rewriting a point with the same values is harmless), faults the callers
    /// that own them, and completes the others once their lines are known to be stored.
    /// </summary>
    private async Task ResolveRejectionAsync(List<PendingWrite> batch, ReadOnlyMemory<byte> body, WriteOutcome refusal)
    {
        var found = new RefusedLines(body, [.. batch.Select(w => w.Buffer.Length)], SendWithRetryAsync, MaxIsolationRequests);
        await found.FindAsync(refusal).ConfigureAwait(false);
        var (lines, state, reasons) = (found.Lines, found.State, found.Reasons);

        var now = _timeProvider.GetUtcNow();
        var written = 0;
        var line = 0;
        for (var w = 0; w < batch.Count; w++)
        {
            List<string>? offending = null;
            string? reason = null;
            var unavailable = false;

            // Lines are in owner order: each write's lines follow the previous write's.
            for (; line < lines.Count && lines[line].Owner == w; line++)
            {
                switch (state[line])
                {
                    case LineState.Written:
                        written++;
                        break;
                    case LineState.Rejected:
                        (offending ??= []).Add(found.Text(line));
                        reason ??= reasons[line];
                        break;
                    default:
                        unavailable = true;
                        reason ??= reasons[line];
                        break;
                }
            }

            var write = batch[w];
            if (offending is not null)
            {
                var serverError = reason ?? refusal.Describe();
                Log.Rejected(_logger, offending.Count, refusal.StatusCode, serverError, offending[0]);
                Health.Rejected(offending.Count, serverError, now);
                _telemetry.PointsRejected.Add(offending.Count);
                var shown = string.Join("\n", offending.Take(3)) + (offending.Count > 3 ? $"\n… and {offending.Count - 3} more" : "");
                write.Completion.TrySetException(new InfluxDbRejectedException(
                    $"InfluxDB refused {offending.Count} of the {write.Lines} line(s) of this batch ({serverError}). Offending line(s):\n{shown}",
                    refusal.StatusCode,
                    serverError,
                    offending));
            }
            else if (unavailable)
            {
                write.Completion.TrySetException(new InfluxDbWriteException($"InfluxDB write gave up: {reason}"));
            }
            else
            {
                write.Completion.TrySetResult();
            }
        }

        if (written > 0)
        {
            Written(written);
        }
    }

    private void Written(long points)
    {
        Health.Succeeded(points, _timeProvider.GetUtcNow());
        _telemetry.PointsWritten.Add(points);
    }

    private void Finish(PendingWrite write)
    {
        write.Buffer.Release();
        Health.AddBuffered(-write.Lines);
        _budget.Release(write.Weight);
    }

    /// <summary>
    /// Stops taking writes, writes what is held for up to <see cref="InfluxDbSinkOptions.DrainTimeout"/>,
    /// then faults whatever is left.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        var stopped = new InfluxDbWriteException("The InfluxDB sink is stopped; the batch was not written.");
        _budget.Close(stopped);
        _channel.Writer.TryComplete();

        // Started here when nothing was ever written: it finds the channel completed and returns.
        var writer = _writer.Value;
        try
        {
            await writer.WaitAsync(_options.DrainTimeout, _timeProvider).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await _abort.CancelAsync().ConfigureAwait(false);
            await writer.ConfigureAwait(false);
        }

        _transport.Dispose();
        _telemetry.Dispose();
        _abort.Dispose();
    }

    /// <summary>Like <see cref="DisposeAsync"/>, for containers that dispose synchronously.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private sealed class PendingWrite(LineBuffer buffer, int lines, int weight)
    {
        public LineBuffer Buffer { get; } = buffer;

        public int Lines { get; } = lines;

        public int Weight { get; } = weight;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
