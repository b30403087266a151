using System.Diagnostics;
using System.Text;

namespace Forecast.Sinks.InfluxDb.Tests;

/// <summary>Retries, refusals and back-pressure, against a local HTTP server that answers as told.</summary>
public sealed class InfluxDbSinkRetryTests
{
    private static InfluxDbSinkOptions Options(StubInfluxServer stub) => TestData.V1(stub.Url, "forecast");

    [Fact]
    public async Task WriteAsync_SendsV1WriteWithDatabaseRetentionPolicyAndNanosecondPrecision()
    {
        await using var stub = StubInfluxServer.Start(_ => new StubResponse(204));
        var options = Options(stub);
        options.RetentionPolicy = "two weeks";
        options.Username = "writer";
        options.Password = "pw";

        await using (var sink = InfluxDbSink.Create(options))
        {
            await sink.WriteAsync(TestData.Batch("s-1", 0, 2));
        }

        var request = Assert.Single(stub.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/write", request.Url.AbsolutePath);
        Assert.Equal("?db=forecast&rp=two%20weeks&precision=ns", request.Url.Query);
        Assert.Equal("gzip", request.Headers["Content-Encoding"]);
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("writer:pw")), request.Headers["Authorization"]);
        Assert.Equal(6, request.Lines.Length);
        Assert.All(request.Lines, l => Assert.Matches(@"^(prediction|reading),.* \d{19}$", l));
    }

    [Fact]
    public async Task WriteAsync_HonoursRetryAfterOn429()
    {
        await using var stub = StubInfluxServer.Start(r => r.Index == 0
            ? new StubResponse(429, """{"error":"too many requests"}""", RetryAfter: "1")
            : new StubResponse(204));
        var options = Options(stub);
        options.InitialBackoff = TimeSpan.FromMilliseconds(1);

        await using var sink = InfluxDbSink.Create(options);
        var clock = Stopwatch.StartNew();
        await sink.WriteAsync(TestData.Batch("s-1", 0, 3)).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        clock.Stop();

        var requests = stub.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        var waited = Stopwatch.GetElapsedTime(requests[0].ReceivedAt, requests[1].ReceivedAt);
        Assert.True(waited >= TimeSpan.FromMilliseconds(950), $"retried after {waited.TotalMilliseconds:0} ms, before Retry-After: 1");
        Assert.True(clock.Elapsed >= waited);
        Assert.Equal(requests[0].Body, requests[1].Body);
        Assert.Equal(1, sink.Health.FailedRequests);
        Assert.Equal(InfluxDbSinkState.Healthy, sink.Health.State);
        Assert.Contains("429", sink.Health.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteAsync_RetriesServerErrorsWithGrowingBackoff()
    {
        await using var stub = StubInfluxServer.Start(r => r.Index < 3
            ? new StubResponse(503, """{"error":"engine: cache maximum memory size exceeded"}""")
            : new StubResponse(204));
        var options = Options(stub);
        options.InitialBackoff = TimeSpan.FromMilliseconds(100);

        await using var sink = InfluxDbSink.Create(options);
        await sink.WriteAsync(TestData.Batch("s-1", 0, 3)).AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        var requests = stub.Requests.ToArray();
        Assert.Equal(4, requests.Length);
        var gaps = requests.Zip(requests.Skip(1), (a, b) => Stopwatch.GetElapsedTime(a.ReceivedAt, b.ReceivedAt)).ToArray();

        // Decorrelated jitter: one wait may be short, but the waits before the fourth attempt add up to
        // 2.8 to 5.7 times the 100 ms base (a constant 100 ms would add up to 300 ms at most with its jitter).
        var waited = gaps.Aggregate(TimeSpan.Zero, (sum, gap) => sum + gap);
        Assert.True(waited >= TimeSpan.FromMilliseconds(280), $"waited {waited.TotalMilliseconds:0} ms in all: {string.Join(", ", gaps.Select(g => g.TotalMilliseconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture)))}");
        Assert.Equal(3, sink.Health.FailedRequests);
        Assert.Equal(InfluxDbSinkState.Healthy, sink.Health.State);
        Assert.Equal(9, sink.Health.WrittenPoints);
    }

    [Fact]
    public async Task WriteAsync_FaultsWhenRetriesRunOut()
    {
        await using var stub = StubInfluxServer.Start(_ => new StubResponse(500, """{"error":"timeout"}"""));
        var options = Options(stub);
        options.MaxRetries = 2;

        await using var sink = InfluxDbSink.Create(options);
        var ex = await Assert.ThrowsAsync<InfluxDbWriteException>(() => sink.WriteAsync(TestData.Batch("s-1", 0, 1)).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.IsNotType<InfluxDbRejectedException>(ex);
        Assert.Contains("3 attempts", ex.Message, StringComparison.Ordinal);
        Assert.Contains("HTTP 500: timeout", ex.Message, StringComparison.Ordinal);
        Assert.Equal(3, stub.Requests.Count);
        Assert.Equal(InfluxDbSinkState.Down, sink.Health.State);
    }

    [Fact]
    public async Task WriteAsync_WaitsWhileTheBufferIsFullAndNeverDrops()
    {
        var available = false;
        await using var stub = StubInfluxServer.Start(_ => Volatile.Read(ref available)
            ? new StubResponse(204)
            : new StubResponse(503, """{"error":"down for maintenance"}"""));
        var options = Options(stub);
        options.BatchSize = 30;
        options.Capacity = 90;
        options.InitialBackoff = TimeSpan.FromMilliseconds(10);
        options.MaxBackoff = TimeSpan.FromMilliseconds(50);

        await using var sink = InfluxDbSink.Create(options);

        // 20 calls of 15 lines: 300 lines against room for 90.
        var writes = Enumerable.Range(0, 20).Select(i => sink.WriteAsync(TestData.Batch($"s-{i}", 0, 5)).AsTask()).ToList();
        await Task.Delay(500);

        Assert.All(writes, w => Assert.False(w.IsCompleted));
        Assert.InRange(sink.Health.BufferedLines, 1, 90);
        Assert.Equal(InfluxDbSinkState.Down, sink.Health.State);

        Volatile.Write(ref available, true);
        await Task.WhenAll(writes).WaitAsync(TimeSpan.FromSeconds(10));

        var delivered = stub.Requests.Where(r => r.Index > 0 && !r.Body.Contains("maintenance", StringComparison.Ordinal)).ToList();
        Assert.Equal(300, sink.Health.WrittenPoints);
        Assert.Equal(0, sink.Health.BufferedLines);
        Assert.Equal(InfluxDbSinkState.Healthy, sink.Health.State);
        Assert.All(stub.Requests, r => Assert.InRange(r.Lines.Length, 1, 30));
        Assert.True(delivered.Count >= 10);
    }

    [Fact]
    public async Task WriteAsync_FaultsOnlyTheCallerOfALineTheServerCouldNotParse()
    {
        // InfluxDB 1.x quotes the lines it could not parse; the stub refuses the anomaly line that way.
        await using var stub = StubInfluxServer.Start(r =>
        {
            var bad = r.Lines.FirstOrDefault(l => l.StartsWith("anomaly,", StringComparison.Ordinal));
            return bad is null
                ? new StubResponse(204)
                : new StubResponse(400, $$"""{"error":"partial write: unable to parse '{{bad}}': invalid number dropped=0"}""");
        });
        var options = Options(stub);
        options.Linger = TimeSpan.FromMilliseconds(200);

        await using var sink = InfluxDbSink.Create(options);
        var good = sink.WriteAsync(TestData.Batch("s-good", 0, 4)).AsTask();
        var bad = sink.WriteAsync(new Forecast.Abstractions.SinkBatch([], [TestData.Prediction("s-bad", 0)], [TestData.Anomaly("s-bad", 0)])).AsTask();

        var ex = await Assert.ThrowsAsync<InfluxDbRejectedException>(() => bad.WaitAsync(TimeSpan.FromSeconds(10)));
        await good.WaitAsync(TimeSpan.FromSeconds(10));

        var line = Assert.Single(ex.OffendingLines);
        Assert.StartsWith("anomaly,model=lstm@1.0.0,sensor=s-bad,", line, StringComparison.Ordinal);
        Assert.Contains(line, ex.Message, StringComparison.Ordinal);
        Assert.Contains("unable to parse", ex.ServerError, StringComparison.Ordinal);

        // The refused line went out once; the lines refused with it were sent again without it.
        var requests = stub.Requests.ToArray();
        var refused = Assert.Single(requests, r => r.Lines.Contains(line));
        var resend = requests.Single(r => r.Index > refused.Index);
        Assert.Equal(refused.Lines.Where(l => l != line), resend.Lines);
        Assert.Equal(1, sink.Health.RejectedPoints);
        Assert.Equal(14, sink.Health.WrittenPoints);
    }

    [Fact]
    public async Task WriteAsync_NarrowsDownARefusalThatNamesNoLine()
    {
        // Like "points beyond retention policy dropped=1": the server says how many, not which.
        await using var stub = StubInfluxServer.Start(r => r.Lines.Any(l => l.Contains("sensor=s-old", StringComparison.Ordinal))
            ? new StubResponse(400, """{"error":"partial write: points beyond retention policy dropped=1"}""")
            : new StubResponse(204));
        var options = Options(stub);
        options.Linger = TimeSpan.FromMilliseconds(200);
        options.WriteReadings = false;

        await using var sink = InfluxDbSink.Create(options);
        var writes = Enumerable.Range(0, 15).Select(i => sink.WriteAsync(TestData.Batch($"s-{i}", 0, 2)).AsTask()).ToList();

        // One caller's batch: 16 good lines with one old point among them.
        var mixed = TestData.Batch("s-mixed", 0, 8) with { Readings = [] };
        var old = sink.WriteAsync(mixed with
        {
            Predictions = [.. mixed.Predictions.Take(5), TestData.Prediction("s-old", 0) with { Steps = [TestData.Prediction("s-old", 0).Steps[0]] }, .. mixed.Predictions.Skip(5)],
        }).AsTask();

        var ex = await Assert.ThrowsAsync<InfluxDbRejectedException>(() => old.WaitAsync(TimeSpan.FromSeconds(10)));
        await Task.WhenAll(writes).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Contains("sensor=s-old", Assert.Single(ex.OffendingLines), StringComparison.Ordinal);
        Assert.Contains("beyond retention policy", ex.Message, StringComparison.Ordinal);
        Assert.Equal(60 + 16, sink.Health.WrittenPoints);
        Assert.Equal(1, sink.Health.RejectedPoints);

        // Halving 17 lines down to the one takes a handful of requests, not one per line.
        Assert.InRange(stub.Requests.Count(r => r.Body.Contains("s-mixed", StringComparison.Ordinal)), 3, 12);
    }

    [Fact]
    public async Task DisposeAsync_FaultsWhatItCouldNotWriteInTime()
    {
        await using var stub = StubInfluxServer.Start(_ => new StubResponse(503));
        var options = Options(stub);
        options.DrainTimeout = TimeSpan.FromMilliseconds(300);

        var sink = InfluxDbSink.Create(options);
        var write = sink.WriteAsync(TestData.Batch("s-1", 0, 2)).AsTask();
        await Task.Delay(100);
        await sink.DisposeAsync();

        var ex = await Assert.ThrowsAsync<InfluxDbWriteException>(() => write.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Contains("stopped", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InfluxDbWriteException>(() => sink.WriteAsync(TestData.Batch("s-1", 2, 1)).AsTask());
    }
}
