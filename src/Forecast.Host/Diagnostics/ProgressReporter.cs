using System.Diagnostics;
using System.Globalization;
using Forecast.Alerting.Outbox;
using Forecast.Diagnostics;
using Forecast.Sinks.Embedded;
using Forecast.Host.Simulation;
using Forecast.Inference.Onnx;

namespace Forecast.Host.Diagnostics;

/// <summary>Prints one line of progress every few seconds while the pipeline runs.</summary>
internal sealed class ProgressReporter(
    PipelineMetrics metrics,
    BatchingForecaster forecaster,
    TimeProvider clock,
    ReadingDriver? driver = null,
    EmbeddedStore? store = null,
    AlertOutbox? alerts = null) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = Stopwatch.GetTimestamp();
        var lastApplied = 0L;
        var lastStats = forecaster.Statistics;
        using var timer = new PeriodicTimer(Period, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var applied = metrics.Applied;
                var stats = forecaster.Statistics;
                var batches = stats.Batches - lastStats.Batches;
                var batch = batches == 0 ? 0 : (double)(stats.Steps - lastStats.Steps) / batches;
                // Shown only while the outbox's store refuses writes (a full disk), so the line says why at once.
                var held = alerts?.Channels.Sum(c => c.Counters.Held) ?? 0;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"[{Stopwatch.GetElapsedTime(started):hh\\:mm\\:ss}] readings/s {(applied - lastApplied) / Period.TotalSeconds,8:N0} | applied {applied,10:N0} | predictions {store?.Predictions ?? applied,10:N0} | anomalies {store?.Anomalies ?? metrics.Anomalies,6:N0} | batch {batch,6:N1} | queue {stats.Pending,5} | in flight {driver?.InFlight ?? 0,5} | p99 {metrics.Latency.PercentileMs(0.99),7:N1} ms | failed {metrics.FailedCalls}{(held > 0 ? $" | alert writes held {held}" : "")}"));
                lastApplied = applied;
                lastStats = stats;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
