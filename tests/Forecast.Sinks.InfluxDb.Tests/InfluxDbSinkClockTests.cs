using Microsoft.Extensions.Time.Testing;

namespace Forecast.Sinks.InfluxDb.Tests;

/// <summary>The retry pipeline waits on the sink's <see cref="TimeProvider"/>: a fake clock decides when retries go out.</summary>
public sealed class InfluxDbSinkClockTests
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    [Fact]
    public async Task WriteAsync_WaitsTheServersRetryAfter_OnTheSinksClock_EvenBeyondMaxBackoff()
    {
        var clock = new FakeTimeProvider(TestData.Start);
        var transport = new ScriptedTransport(clock, WriteOutcome.Failure(429, "too many requests", TimeSpan.FromSeconds(90)));
        await using var sink = new InfluxDbSink(Options(), transport, timeProvider: clock);

        var write = sink.WriteAsync(TestData.Batch("s-1", 0, 2)).AsTask();
        await AdvanceUntilAsync(clock, () => write.IsCompleted, TimeSpan.FromSeconds(120));
        await write;

        var sent = transport.SentAt;
        Assert.Equal(2, sent.Count);
        Assert.InRange(sent[1] - sent[0], TimeSpan.FromSeconds(90), TimeSpan.FromSeconds(91));
        Assert.Equal(1, sink.Health.FailedRequests);
        Assert.Contains("429", sink.Health.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteAsync_NeverWaitsLongerThanMaxBackoff_WhenTheServerSaysNothing()
    {
        var clock = new FakeTimeProvider(TestData.Start);
        var failures = Enumerable.Repeat(WriteOutcome.Failure(503, "unavailable", null), 12).ToArray();
        var transport = new ScriptedTransport(clock, failures);
        var options = Options();
        options.InitialBackoff = TimeSpan.FromMilliseconds(200);
        options.MaxBackoff = TimeSpan.FromSeconds(1);
        await using var sink = new InfluxDbSink(options, transport, timeProvider: clock);

        var write = sink.WriteAsync(TestData.Batch("s-1", 0, 2)).AsTask();
        await AdvanceUntilAsync(clock, () => write.IsCompleted, TimeSpan.FromMinutes(1));
        await write;

        var sent = transport.SentAt;
        Assert.Equal(13, sent.Count);
        Assert.All(sent.Zip(sent.Skip(1), (a, b) => b - a), gap => Assert.InRange(gap, TimeSpan.Zero, options.MaxBackoff + Step));
        Assert.Equal(12, sink.Health.FailedRequests);
        Assert.Equal(InfluxDbSinkState.Healthy, sink.Health.State);
    }

    [Fact]
    public async Task WriteAsync_SendsOnce_WhenMaxRetriesIsZero()
    {
        var clock = new FakeTimeProvider(TestData.Start);
        var transport = new ScriptedTransport(clock, WriteOutcome.Failure(503, "unavailable", null));
        var options = Options();
        options.MaxRetries = 0;
        await using var sink = new InfluxDbSink(options, transport, timeProvider: clock);

        var ex = await Assert.ThrowsAsync<InfluxDbWriteException>(() => sink.WriteAsync(TestData.Batch("s-1", 0, 2)).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Contains("after 1 attempts", ex.Message, StringComparison.Ordinal);
        Assert.Single(transport.SentAt);
        Assert.Equal(1, sink.Health.FailedRequests);
        Assert.Equal(InfluxDbSinkState.Degraded, sink.Health.State);
    }

    [Fact]
    public async Task DisposeAsync_Returns_WhenNothingWasEverWritten()
    {
        var clock = new FakeTimeProvider(TestData.Start);
        var transport = new ScriptedTransport(clock);
        var sink = new InfluxDbSink(Options(), transport, timeProvider: clock);

        await sink.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Empty(transport.SentAt);
        await Assert.ThrowsAsync<InfluxDbWriteException>(() => sink.WriteAsync(TestData.Batch("s-1", 0, 1)).AsTask());
    }

    private static InfluxDbSinkOptions Options()
    {
        var options = TestData.V1("http://influxdb.invalid:8086", "forecast");
        options.Linger = TimeSpan.Zero;
        return options;
    }

    /// <summary>Moves the fake clock on in small steps, letting the sink run between them, until <paramref name="done"/>.</summary>
    private static async Task AdvanceUntilAsync(FakeTimeProvider clock, Func<bool> done, TimeSpan limit)
    {
        for (var advanced = TimeSpan.Zero; !done(); advanced += Step)
        {
            Assert.True(advanced < limit, $"not done after {limit} on the fake clock");
            await Task.Delay(2);
            clock.Advance(Step);
        }
    }

    /// <summary>Answers each write with the next scripted outcome, then with success; notes when each write came on the fake clock.</summary>
    private sealed class ScriptedTransport(FakeTimeProvider clock, params WriteOutcome[] script) : IInfluxDbTransport
    {
        private readonly List<DateTimeOffset> _sentAt = [];

        public IReadOnlyList<DateTimeOffset> SentAt
        {
            get
            {
                lock (_sentAt)
                {
                    return [.. _sentAt];
                }
            }
        }

        public Task<WriteOutcome> WriteAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
        {
            lock (_sentAt)
            {
                _sentAt.Add(clock.GetUtcNow());
                return Task.FromResult(_sentAt.Count <= script.Length ? script[_sentAt.Count - 1] : WriteOutcome.Success(204));
            }
        }

        public void Dispose()
        {
        }
    }
}
