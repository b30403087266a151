using System.Diagnostics;


namespace Forecast.Sinks.InfluxDb.Tests;

/// <summary>The v2 path (InfluxDB.Client's WriteApiAsync), checked by the requests it sends.</summary>
public sealed class InfluxDbV2TransportTests
{
    private static InfluxDbSinkOptions Options(StubInfluxServer stub, bool gzip) => new()
    {
        Url = stub.Url,
        Version = InfluxDbVersion.V2,
        Token = "my-secret-token",
        Org = "acme ops",
        Bucket = "forecast",
        Gzip = gzip,
        Linger = TimeSpan.FromMilliseconds(20),
        InitialBackoff = TimeSpan.FromMilliseconds(1),
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WriteAsync_SendsTokenOrgBucketPrecisionAndLineProtocol(bool gzip)
    {
        await using var stub = StubInfluxServer.Start(_ => new StubResponse(204));
        var batch = TestData.Batch("s-1", 0, 2);

        await using (var sink = InfluxDbSink.Create(Options(stub, gzip)))
        {
            await sink.WriteAsync(batch).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(6, sink.Health.WrittenPoints);
        }

        var request = Assert.Single(stub.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/api/v2/write", request.Url.AbsolutePath);
        var query = System.Web.HttpUtility.ParseQueryString(request.Url.Query);
        Assert.Equal("acme ops", query["org"]);
        Assert.Equal("forecast", query["bucket"]);
        Assert.Equal("ns", query["precision"]);
        Assert.Equal("Token my-secret-token", request.Headers["Authorization"]);
        Assert.Equal(gzip, request.Headers.TryGetValue("Content-Encoding", out var encoding) && encoding.Contains("gzip", StringComparison.Ordinal));

        var expected = new LineBuffer(1024);
        LineProtocolFormatter.From(new InfluxDbSinkOptions()).Format(batch, expected);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(expected.Span).TrimEnd('\n'), request.Body);
        expected.Release();
    }

    [Fact]
    public async Task WriteAsync_HonoursRetryAfterFromAV2Server()
    {
        await using var stub = StubInfluxServer.Start(r => r.Index == 0
            ? new StubResponse(429, """{"code":"too many requests","message":"org exceeded write limit"}""", RetryAfter: "1")
            : new StubResponse(204));

        await using var sink = InfluxDbSink.Create(Options(stub, gzip: false));
        await sink.WriteAsync(TestData.Batch("s-1", 0, 1)).AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        var requests = stub.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.True(Stopwatch.GetElapsedTime(requests[0].ReceivedAt, requests[1].ReceivedAt) >= TimeSpan.FromMilliseconds(950));
        Assert.Contains("org exceeded write limit", sink.Health.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteAsync_ReportsAV2PartialWriteWithTheOffendingLine()
    {
        await using var stub = StubInfluxServer.Start(r => r.Lines.Any(l => l.StartsWith("anomaly,", StringComparison.Ordinal))
            ? new StubResponse(422, """{"code":"unprocessable entity","message":"failure writing points to database: partial write: field type conflict"}""")
            : new StubResponse(204));

        await using var sink = InfluxDbSink.Create(Options(stub, gzip: false));
        var ex = await Assert.ThrowsAsync<InfluxDbRejectedException>(() => sink.WriteAsync(
            new Forecast.Abstractions.SinkBatch([], [TestData.Prediction("s-2", 0)], [TestData.Anomaly("s-2", 0)])).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal(422, ex.StatusCode);
        Assert.StartsWith("anomaly,", Assert.Single(ex.OffendingLines), StringComparison.Ordinal);
        Assert.Contains("field type conflict", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, sink.Health.WrittenPoints);
    }
}
