using System.Diagnostics;
using Forecast.Abstractions;
using Forecast.Grains;

namespace Forecast.Host.Simulation;

/// <summary>
/// Drives the built-in sensors: first <see cref="SimulatorOptions.HistoryReadings"/> readings of history each,
/// stamped <see cref="SimulatorOptions.Interval"/> apart up to now and sent in one call per sensor, as fast as
/// the grains take them; then in real time, every interval one reading per sensor. Each
/// real-time result is judged against what the sensor injected, so every run reports how the detector did.
/// </summary>
internal sealed class SimulatorService(
    IOptions<SimulatorOptions> options,
    IOptions<AnomalyOptions> anomaly,
    IForecaster forecaster,
    ReadingDriver driver,
    TimeProvider clock) : BackgroundService
{
    // Samples after an injection ends within which a detection still counts: the likelihood judges a short moving average.
    private const int Tolerance = 10;

    private SimulatedSensor[] _sensors = [];

    public int Injected => _sensors.Sum(s => s.Injected);

    /// <summary>The detector's record over every sensor.</summary>
    public DetectorCounts Detector => _sensors.Aggregate(new DetectorCounts(), (total, sensor) => total + sensor.Counts);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        _sensors = settings.CreateSensors();
        // History goes in one call per sensor, whose detections cannot be told apart by sample: only real time is judged.
        var history = settings.HistoryReadings;
        var judgeFrom = Math.Max(forecaster.Model.Warmup + anomaly.Value.LearningReadings, history);
        try
        {
            // Sample t is stamped start + t intervals: a sensor sampling at a fixed rate, whose readings the model
            // sees evenly spaced even when the history took a while to apply or the simulator fell behind.
            var start = clock.GetUtcNow() - (history * settings.Interval);
            await SendHistoryAsync(settings, start, history, stoppingToken);
            using var timer = new PeriodicTimer(settings.Interval, clock);
            for (long t = history; !stoppingToken.IsCancellationRequested; t++)
            {
                var stamp = start + (t * settings.Interval);
                var madeAt = Stopwatch.GetTimestamp();
                var sample = t;
                foreach (var sensor in _sensors)
                {
                    await driver.SendAsync(
                        sensor.Id,
                        [new SensorReading(sensor.Id, stamp, sensor.Next(sample))],
                        madeAt,
                        stoppingToken,
                        result => sensor.Judge(sample, result.Opened, judgeFrom, Tolerance));
                }

                await timer.WaitForNextTickAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await driver.DrainAsync();
    }

    /// <summary>Each sensor's history in one grain call, so its readings arrive in order.</summary>
    private async Task SendHistoryAsync(SimulatorOptions settings, DateTimeOffset start, int history, CancellationToken stoppingToken)
    {
        if (history == 0)
        {
            return;
        }

        var madeAt = Stopwatch.GetTimestamp();
        foreach (var sensor in _sensors)
        {
            var readings = new SensorReading[history];
            for (var sample = 0; sample < history; sample++)
            {
                readings[sample] = new SensorReading(sensor.Id, start + (sample * settings.Interval), sensor.Next(sample));
            }

            await driver.SendAsync(sensor.Id, readings, madeAt, stoppingToken, timed: false);
        }

        // Real time starts once every sensor has its history: a reading overtaking it would be refused as late.
        await driver.DrainAsync();
    }
}
