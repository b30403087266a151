using Forecast.Dashboard.History;
using Microsoft.Extensions.Logging.Abstractions;

namespace Forecast.Dashboard.Tests;

public sealed class HistoryRecordingSinkTests
{
    [Fact]
    public async Task WriteAsync_RecordsTheBatch_AfterTheInnerSinkWroteIt()
    {
        var inner = new TestSink();
        var history = new RecentHistory(new DashboardOptions());
        var sink = new HistoryRecordingSink(inner, history, NullLogger.Instance, ownsInner: false);

        await sink.WriteAsync(Batches.Readings("s", 0, 3));
        var gate = new TaskCompletionSource();
        inner.Gate = gate.Task;
        var pending = sink.WriteAsync(Batches.Readings("s", 3, 2)).AsTask();
        var whileWriting = history.Readings;
        gate.SetResult();
        await pending;

        Assert.Equal(2, inner.Batches);
        Assert.Equal(3, whileWriting);
        Assert.Equal(5, history.Readings);
    }

    [Fact]
    public async Task WriteAsync_RecordsNothing_WhenTheInnerSinkFails()
    {
        var inner = new TestSink { Failure = new IOException("InfluxDB is down") };
        var history = new RecentHistory(new DashboardOptions());
        var sink = new HistoryRecordingSink(inner, history, NullLogger.Instance, ownsInner: false);

        var thrown = await Assert.ThrowsAsync<IOException>(() => sink.WriteAsync(Batches.Readings("s", 0, 3)).AsTask());

        Assert.Equal("InfluxDB is down", thrown.Message);
        Assert.Equal(0, history.Readings);
    }

    [Fact]
    public async Task WriteAsync_Succeeds_WhenRecordingFails()
    {
        var history = new RecentHistory(new DashboardOptions());
        history.AnomalyRecorded += _ => throw new InvalidOperationException("a broken listener");
        var sink = new HistoryRecordingSink(new TestSink(), history, NullLogger.Instance, ownsInner: false);

        await sink.WriteAsync(Batches.Readings("s", 0, 3, anomalies: Batches.Anomaly("s", 1)));

        Assert.Equal(1, sink.Failures);
        Assert.Equal(3, history.Readings);
    }

    [Fact]
    public void AddDashboard_WrapsTheSinkRegisteredBefore()
    {
        var inner = new TestSink();
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<IPredictionSink>(inner);
        services.AddDashboard();
        using var provider = services.BuildServiceProvider();

        var sink = Assert.IsType<HistoryRecordingSink>(provider.GetRequiredService<IPredictionSink>());

        Assert.Same(inner, sink.Inner);
        Assert.Single(provider.GetServices<IPredictionSink>());
    }

    [Fact]
    public void AddDashboard_Fails_WithoutASink()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddDashboard());

        Assert.Contains("register one (the embedded store or InfluxDB) before AddDashboard", error.Message);
    }

    [Theory]
    [InlineData(nameof(DashboardOptions.HistoryPoints), 5, "Dashboard:HistoryPoints must be from 10 to 100,000")]
    [InlineData(nameof(DashboardOptions.MaxSeriesPoints), 0, "Dashboard:MaxSeriesPoints must be from 100")]
    [InlineData(nameof(DashboardOptions.EpisodeQuietReadings), 0, "Dashboard:EpisodeQuietReadings must be from 1")]
    public void Options_OutOfRange_FailWithTheKey(string property, int value, string message)
    {
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<IPredictionSink>(new TestSink());
        services.AddDashboard(o => o.Configure(d => typeof(DashboardOptions).GetProperty(property)!.SetValue(d, value)));
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<DashboardOptions>>().Value);

        Assert.Contains(message, error.Message);
    }

    internal sealed class TestSink : IPredictionSink
    {
        public int Batches { get; private set; }

        public Exception? Failure { get; init; }

        public Task? Gate { get; set; }

        public async ValueTask WriteAsync(SinkBatch batch, CancellationToken cancellationToken = default)
        {
            if (Gate is { } gate)
            {
                await gate;
            }

            if (Failure is { } failure)
            {
                throw failure;
            }

            Batches++;
        }
    }
}
