using System.Diagnostics;

namespace Forecast.Sinks.InfluxDb.Tests;

/// <summary>InfluxDB dies mid-run and comes back: nothing is lost, the buffer stays bounded, writes resume.</summary>
public sealed class InfluxDbSinkRestartTests
{
    [Fact]
    public async Task WriteAsync_LosesNothingWhenTheServerRestarts()
    {
        await using var server = await InfluxServer.StartAsync();
        var database = await server.CreateDatabaseAsync("restart");
        var options = TestData.V1(server.Url, database);
        options.BatchSize = 500;
        options.Capacity = 2_000;
        options.RequestTimeout = TimeSpan.FromSeconds(2);
        options.MaxBackoff = TimeSpan.FromMilliseconds(300);
        const int Producers = 8, Calls = 150, ReadingsPerCall = 5;
        var completedCalls = 0;

        await using var sink = InfluxDbSink.Create(options);

        async Task ProduceAsync(int producer)
        {
            for (var call = 0; call < Calls; call++)
            {
                await sink.WriteAsync(TestData.Batch($"sensor-{producer}", call * ReadingsPerCall, ReadingsPerCall));
                Interlocked.Increment(ref completedCalls);
            }
        }

        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(() => ProduceAsync(p))).ToList();
        await WaitUntilAsync(() => sink.Health.WrittenPoints >= 3_000, "the first writes");
        Assert.True(producers.All(p => !p.IsCompleted), "the producers finished before the server could be stopped");

        server.Kill();
        var stalledAt = Volatile.Read(ref completedCalls);
        long maxBuffered = 0;
        var outage = Stopwatch.StartNew();
        while (outage.Elapsed < TimeSpan.FromSeconds(2))
        {
            maxBuffered = Math.Max(maxBuffered, sink.Health.BufferedLines);
            await Task.Delay(20);
        }

        // While down: callers wait (a write in flight at the kill may still have finished), the buffer
        // stays under its cap, and the state says so.
        Assert.InRange(Volatile.Read(ref completedCalls) - stalledAt, 0, Producers * 2);
        Assert.InRange(maxBuffered, 1, options.Capacity);
        Assert.NotEqual(InfluxDbSinkState.Healthy, sink.Health.State);
        Assert.NotNull(sink.Health.LastError);
        var writtenWhileDown = sink.Health.WrittenPoints;

        await server.StartProcessAsync();
        await Task.WhenAll(producers).WaitAsync(TimeSpan.FromSeconds(60));

        var expectedPredictions = Producers * Calls * ReadingsPerCall * 2;
        Assert.Equal(expectedPredictions, await server.CountAsync(database, "prediction", "yhat"));
        Assert.Equal(Producers * Calls * ReadingsPerCall, await server.CountAsync(database, "reading", "value"));
        Assert.Equal(InfluxDbSinkState.Healthy, sink.Health.State);
        Assert.True(sink.Health.FailedRequests > 0);
        Assert.True(sink.Health.WrittenPoints > writtenWhileDown);
        Assert.Equal(0, sink.Health.BufferedLines);
        Assert.Equal(0, sink.Health.RejectedPoints);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException($"Timed out waiting for {what}.");
            }

            await Task.Delay(5);
        }
    }
}
