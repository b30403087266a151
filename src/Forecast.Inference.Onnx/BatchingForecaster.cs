using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using System.Threading.Tasks.Sources;
using Forecast.Abstractions;

namespace Forecast.Inference.Onnx;

/// <summary>
/// The silo's <see cref="IForecaster"/>: steps from many sensors are queued and coalesced into one
/// ONNX Runtime call of up to <see cref="OnnxInferenceOptions.MaxBatch"/> rows, and each caller is
/// completed with its own row. A failed call fails every step in it; none is left waiting.
/// </summary>
public sealed partial class BatchingForecaster : IForecaster, IAsyncDisposable
{
    private readonly OnnxModel _model;
    private readonly OnnxInferenceOptions _options;
    private readonly ILogger<BatchingForecaster> _logger;
    private readonly Channel<StepRequest> _queue;
    private readonly Lazy<Task[]> _workers;
    private readonly ConcurrentQueue<StepRequest> _free = new();
    private readonly ConcurrentQueue<Completion> _completions = new();
    private long _pending;
    private long _steps;
    private long _batches;
    private long _failures;

    /// <summary>
    /// Serves <paramref name="model"/> with <see cref="OnnxInferenceOptions.Workers"/> dispatch loops, which
    /// start with the first step.
    /// </summary>
    public BatchingForecaster(OnnxModel model, OnnxInferenceOptions options, ILogger<BatchingForecaster> logger)
    {
        _model = model;
        _options = options;
        _logger = logger;
        _queue = Channel.CreateUnbounded<StepRequest>(new UnboundedChannelOptions { SingleReader = options.Workers == 1 });
        _workers = new Lazy<Task[]>(() => [.. Enumerable.Range(0, options.Workers).Select(_ => Task.Run(WorkAsync))]);
    }

    /// <inheritdoc />
    public ModelDescriptor Model => _model.Descriptor;

    /// <summary>The loaded model it serves: its folder and validation.</summary>
    public OnnxModel Loaded => _model;

    /// <summary>Counters since start, for progress lines and benchmarks.</summary>
    public InferenceStatistics Statistics => new(
        Interlocked.Read(ref _steps), Interlocked.Read(ref _batches), Interlocked.Read(ref _pending), Interlocked.Read(ref _failures));

    /// <inheritdoc />
    public ValueTask StepAsync(
        ReadOnlyMemory<float> inputs, Memory<float> state, Memory<float> forecast, CancellationToken cancellationToken = default)
    {
        var model = _model.Descriptor;
        if (inputs.IsEmpty || inputs.Length % model.Features != 0)
        {
            throw new ArgumentException($"Inputs hold {inputs.Length} floats; a step needs a positive multiple of {model.Features}.", nameof(inputs));
        }

        if (model.Signature == ModelSignature.Window && inputs.Length != model.Window * model.Features)
        {
            throw new ArgumentException(
                $"Inputs hold {inputs.Length} floats; window model {model.Id} takes exactly {model.Window * model.Features} (window x features).", nameof(inputs));
        }

        if (state.Length != model.StateSize || forecast.Length < model.Horizon)
        {
            throw new ArgumentException(
                $"State holds {state.Length} floats and forecast {forecast.Length}; model {model.Id} needs {model.StateSize} and {model.Horizon}.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var request = _free.TryDequeue(out var reused) ? reused : new StepRequest(_free);
        var step = request.Start(inputs, state, forecast);
        Interlocked.Increment(ref _pending);
        _ = _workers.Value; // started before the step is queued, so DisposeAsync always waits for the loops that run it
        if (!_queue.Writer.TryWrite(request))
        {
            Interlocked.Decrement(ref _pending);
            throw new ObjectDisposedException(nameof(BatchingForecaster), "The forecaster is stopping.");
        }

        return step;
    }

    /// <summary>Stops accepting steps, finishes the queued ones and stops the dispatch loops.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();

        // Started here when no step ever came: they find the queue completed and return.
        await Task.WhenAll(_workers.Value);
    }

    private async Task WorkAsync()
    {
        using var runner = new StepRunner(_model, _options.MaxBatch, 1);
        var batch = new List<StepRequest>(_options.MaxBatch);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync())
        {
            await FillAsync(reader, batch);
            if (batch.Count > 0)
            {
                // Another worker may have taken everything between the wake-up and the read.
                Execute(runner, batch);
                batch.Clear();
            }
        }
    }

    /// <summary>Takes what is queued; if the batch is not full, waits up to <see cref="OnnxInferenceOptions.MaxWait"/> for more.</summary>
    private async ValueTask FillAsync(ChannelReader<StepRequest> reader, List<StepRequest> batch)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(_options.MaxWait.TotalSeconds * Stopwatch.Frequency);
        while (batch.Count < _options.MaxBatch)
        {
            if (reader.TryRead(out var request))
            {
                batch.Add(request);
                continue;
            }

            var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
            if (remaining <= TimeSpan.Zero)
            {
                return;
            }

            if (remaining < TimeSpan.FromMilliseconds(2))
            {
                // Timers tick in milliseconds; for a sub-millisecond wait, give the core to the grains instead.
                Thread.Yield();
                continue;
            }

            using var timeout = new CancellationTokenSource(remaining);
            try
            {
                if (!await reader.WaitToReadAsync(timeout.Token))
                {
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Execute(StepRunner runner, List<StepRequest> batch)
    {
        var time = batch[0].Inputs.Length / _model.Descriptor.Features;
        if (batch.TrueForAll(r => r.Inputs.Length == batch[0].Inputs.Length))
        {
            Run(runner, batch, time);
            return;
        }

        // Warm-up sequences are longer than live steps; one call needs one sequence length.
        foreach (var group in batch.GroupBy(r => r.Inputs.Length))
        {
            Run(runner, [.. group], group.Key / _model.Descriptor.Features);
        }
    }

    private static readonly Histogram<int> BatchSize = ForecastTelemetry.Meter.CreateHistogram<int>(
        "forecast.inference.batch_size", "{step}", "Sensor steps in one ONNX Runtime call.",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] });

    private static readonly Histogram<double> CallDuration = ForecastTelemetry.Meter.CreateHistogram<double>(
        "forecast.inference.duration", "s", "Duration of one ONNX Runtime call.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1] });

    private void Run(StepRunner runner, List<StepRequest> rows, int time)
    {
        var started = Stopwatch.GetTimestamp();
        using var span = ForecastTelemetry.Source.StartActivity("inference.batch");
        span?.SetTag("forecast.batch_size", rows.Count);
        try
        {
            runner.Prepare(rows.Count, time);
            for (var row = 0; row < rows.Count; row++)
            {
                rows[row].Inputs.Span.CopyTo(runner.Inputs(row));
                runner.SetState(row, rows[row].State.Span);
            }

            runner.Run();
            CallDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
            BatchSize.Record(rows.Count);
        }
        catch (Exception exception)
        {
            Interlocked.Add(ref _failures, rows.Count);
            LogRunFailed(_logger, exception, rows.Count, time);
            var failure = new InferenceException($"Model {_model.Descriptor.Id} failed a batch of {rows.Count} steps: {exception.Message}", exception);
            rows.ForEach(r => r.Failure = failure);
            Complete(rows);
            return;
        }

        for (var row = 0; row < rows.Count; row++)
        {
            var request = rows[row];
            if (!runner.IsFinite(row))
            {
                // Never let a NaN become a prediction (or poison the sensor's state).
                Interlocked.Increment(ref _failures);
                request.Failure = new InferenceException($"Model {_model.Descriptor.Id} produced a non-finite output; the step is refused.");
                continue;
            }

            runner.CopyOutputs(row, request.State.Span, request.Forecast.Span);
        }

        Interlocked.Add(ref _steps, rows.Count);
        Interlocked.Increment(ref _batches);
        Complete(rows);
    }

    /// <summary>
    /// Completes a batch's callers from one thread-pool item, so the worker goes on to the next batch at
    /// once: one hop per batch rather than one per step. A grain's continuation is posted to its own
    /// scheduler from there; any other caller's runs inline on that thread.
    /// </summary>
    private void Complete(List<StepRequest> rows)
    {
        Interlocked.Add(ref _pending, -rows.Count);
        var completion = _completions.TryDequeue(out var reused) ? reused : new Completion(_completions, _options.MaxBatch);
        completion.Take(rows);
        ThreadPool.UnsafeQueueUserWorkItem(completion, preferLocal: false);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "ONNX Runtime failed a batch of {Rows} steps of length {Time}; each caller gets the error")]
    private static partial void LogRunFailed(ILogger logger, Exception exception, int rows, int time);

    /// <summary>A batch's callers to complete on the thread pool; reused, so a batch allocates nothing.</summary>
    private sealed class Completion(ConcurrentQueue<Completion> pool, int capacity) : IThreadPoolWorkItem
    {
        private readonly StepRequest[] _requests = new StepRequest[capacity];
        private int _count;

        public void Take(List<StepRequest> rows)
        {
            rows.CopyTo(_requests);
            _count = rows.Count;
        }

        public void Execute()
        {
            var count = _count;
            for (var i = 0; i < count; i++)
            {
                _requests[i].Finish();
            }

            Array.Clear(_requests, 0, count);
            pool.Enqueue(this);
        }
    }

    /// <summary>
    /// One queued step, reused across steps (a pooled <see cref="IValueTaskSource"/>, so a step allocates
    /// nothing): it goes back to the pool once its caller has read the result.
    /// </summary>
    private sealed class StepRequest(ConcurrentQueue<StepRequest> pool) : IValueTaskSource
    {
        private ManualResetValueTaskSourceCore<bool> _core;

        public ReadOnlyMemory<float> Inputs { get; private set; }

        public Memory<float> State { get; private set; }

        public Memory<float> Forecast { get; private set; }

        /// <summary>Set by the worker when this step failed; null when its outputs were copied.</summary>
        public Exception? Failure { get; set; }

        public ValueTask Start(ReadOnlyMemory<float> inputs, Memory<float> state, Memory<float> forecast)
        {
            (Inputs, State, Forecast) = (inputs, state, forecast);
            return new ValueTask(this, _core.Version);
        }

        public void Finish()
        {
            if (Failure is null)
            {
                _core.SetResult(true);
            }
            else
            {
                _core.SetException(Failure);
            }
        }

        void IValueTaskSource.GetResult(short token)
        {
            try
            {
                _core.GetResult(token);
            }
            finally
            {
                (Inputs, State, Forecast, Failure) = (default, default, default, null);
                _core.Reset();
                pool.Enqueue(this);
            }
        }

        ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

        void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}

/// <summary>Counters of a <see cref="BatchingForecaster"/>.</summary>
/// <param name="Steps">Sensor steps completed.</param>
/// <param name="Batches">Model calls made.</param>
/// <param name="Pending">Steps queued or running now.</param>
/// <param name="Failures">Steps failed.</param>
public sealed record InferenceStatistics(long Steps, long Batches, long Pending, long Failures)
{
    /// <summary>Average rows per model call.</summary>
    public double AverageBatch => Batches == 0 ? 0 : (double)Steps / Batches;
}

/// <summary>A model call failed or gave an output that must not be used.</summary>
public sealed class InferenceException : Exception
{
    /// <summary>Creates the exception with the reason.</summary>
    public InferenceException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with the reason and its cause.</summary>
    public InferenceException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
