using Forecast.Abstractions;

namespace Forecast.Dashboard.History;

/// <summary>
/// Wraps the silo's <see cref="IPredictionSink"/>: once the inner sink has written a batch, records it in the
/// <see cref="RecentHistory"/>. Recording never fails the write (a failure is logged and counted) and takes a
/// lock per sensor for the length of a few array stores.
/// </summary>
internal sealed partial class HistoryRecordingSink(IPredictionSink inner, RecentHistory history, ILogger logger, bool ownsInner)
    : IPredictionSink, IAsyncDisposable, IDisposable
{
    private long _failures;

    /// <summary>Batches that were written but could not be recorded.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>The sink this one wraps.</summary>
    public IPredictionSink Inner => inner;

    public ValueTask WriteAsync(SinkBatch batch, CancellationToken cancellationToken = default)
    {
        var write = inner.WriteAsync(batch, cancellationToken);
        if (!write.IsCompletedSuccessfully)
        {
            return Recorded(write, batch);
        }

        write.GetAwaiter().GetResult();
        Record(batch);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (!ownsInner)
        {
            return;
        }

        switch (inner)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync();
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }

    public void Dispose()
    {
        if (!ownsInner)
        {
            return;
        }

        switch (inner)
        {
            case IDisposable disposable:
                disposable.Dispose();
                break;
            case IAsyncDisposable asyncDisposable:
                asyncDisposable.DisposeAsync().AsTask().GetAwaiter().GetResult();
                break;
        }
    }

    private async ValueTask Recorded(ValueTask write, SinkBatch batch)
    {
        await write;
        Record(batch);
    }

    private void Record(SinkBatch batch)
    {
        try
        {
            history.Record(batch);
        }
        catch (Exception exception)
        {
            // Once, then every 10,000th: the dashboard is a view, the write already succeeded.
            if (Interlocked.Increment(ref _failures) % 10_000 == 1)
            {
                LogRecordFailed(logger, exception, Failures);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dashboard: a written batch could not be recorded in the recent history ({Failures} so far); the write itself succeeded")]
    private static partial void LogRecordFailed(ILogger logger, Exception exception, long failures);
}
