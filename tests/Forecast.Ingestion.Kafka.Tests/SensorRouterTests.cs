using Forecast.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;

namespace Forecast.Ingestion.Kafka.Tests;

/// <summary>The router's retry against a real silo whose grain calls fail at first.</summary>
public sealed class SensorRouterTests
{
    [Fact]
    public async Task Route_RetriesAFailedGrainCall_UntilItApplies_AndOnlyThenReleasesTheOffset()
    {
        var failing = new FailingCalls(failures: 2);
        await using var silo = await TestSilo.StartAsync(compose: builder => builder.Services.AddSingleton<IIncomingGrainCallFilter>(failing));
        var metrics = silo.Services.GetRequiredService<PipelineMetrics>();
        var router = new SensorRouter(silo.Grains, new KafkaIngestionOptions(), metrics, TimeProvider.System, NullLogger<SensorRouter>.Instance);
        var watermark = new PartitionWatermark();
        watermark.Register(0);
        var message = new PendingMessage(watermark, 0, 1, DateTimeOffset.UtcNow);

        router.Route("flaky/sensor", [new PendingReading(new SensorReading("flaky/sensor", DateTimeOffset.UtcNow, 1.5), message)], CancellationToken.None);

        await TestSilo.WaitUntilAsync(() => watermark.InFlight == 0, TimeSpan.FromSeconds(30), () => $"{failing.Calls} calls, {metrics.FailedCalls} failed");
        Assert.Equal(3, failing.Calls);
        Assert.Equal(2, metrics.FailedCalls);
        Assert.Equal(0, router.InFlight);
        Assert.Equal(1, (await silo.Sensor("flaky/sensor").GetStatusAsync()).Applied);
    }

    /// <summary>Fails the first <paramref name="failures"/> calls of <c>ApplyAsync</c>, as a silo that just died does.</summary>
    private sealed class FailingCalls(int failures) : IIncomingGrainCallFilter
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public Task Invoke(IIncomingGrainCallContext context)
        {
            if (context.InterfaceMethod.Name == nameof(ISensorGrain.ApplyAsync) && Interlocked.Increment(ref _calls) <= failures)
            {
                throw new InvalidOperationException("the silo went away");
            }

            return context.Invoke();
        }
    }
}
