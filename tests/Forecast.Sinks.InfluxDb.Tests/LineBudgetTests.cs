namespace Forecast.Sinks.InfluxDb.Tests;

public sealed class LineBudgetTests
{
    [Fact]
    public async Task AcquireAsync_WaitsUntilEnoughIsReleased()
    {
        var budget = new LineBudget(10);
        await budget.AcquireAsync(8, CancellationToken.None);

        var waiting = budget.AcquireAsync(5, CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);
        Assert.Equal(8, budget.InUse);

        budget.Release(2);
        Assert.False(waiting.IsCompleted);
        budget.Release(6);
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(5, budget.InUse);
    }

    [Fact]
    public async Task AcquireAsync_ServesWaitersInOrder()
    {
        var budget = new LineBudget(10);
        await budget.AcquireAsync(10, CancellationToken.None);
        var large = budget.AcquireAsync(9, CancellationToken.None).AsTask();
        var small = budget.AcquireAsync(1, CancellationToken.None).AsTask();

        budget.Release(1);
        Assert.False(small.IsCompleted);

        budget.Release(9);
        await Task.WhenAll(large, small).WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task AcquireAsync_LeavesTheQueueWhenCancelled()
    {
        var budget = new LineBudget(10);
        await budget.AcquireAsync(10, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var cancelled = budget.AcquireAsync(9, cancel.Token).AsTask();
        var behind = budget.AcquireAsync(1, CancellationToken.None).AsTask();

        budget.Release(1);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        await behind.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Close_FailsWaitingAndLaterAcquisitions()
    {
        var budget = new LineBudget(1);
        await budget.AcquireAsync(1, CancellationToken.None);
        var waiting = budget.AcquireAsync(1, CancellationToken.None).AsTask();

        budget.Close(new InfluxDbWriteException("stopped"));

        await Assert.ThrowsAsync<InfluxDbWriteException>(() => waiting);
        await Assert.ThrowsAsync<InfluxDbWriteException>(() => budget.AcquireAsync(1, CancellationToken.None).AsTask());
    }
}
