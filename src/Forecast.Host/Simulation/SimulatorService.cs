using System.Diagnostics;
using Forecast.Abstractions;
using Forecast.Grains;

namespace Forecast.Host.Simulation;

/// <summary>
/// Drives the built-in sensors in real time: every <see cref="SimulatorOptions.Interval"/> each sensor
/// produces one reading, stamped with the wall clock, and it goes to the sensor's grain. Each result
/// is judged against what the sensor injected, so every run reports how the detector did.
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
        var judgeFrom = forecaster.Model.Warmup + anomaly.Value.LearningReadings;
        using var timer = new PeriodicTimer(settings.Interval, clock);
        try
        {
            for (long t = 0; !stoppingToken.IsCancellationRequested; t++)
            {
                var now = clock.GetUtcNow();
                var madeAt = Stopwatch.GetTimestamp();
                var sample = t;
                foreach (var sensor in _sensors)
                {
                    await driver.SendAsync(
                        sensor.Id,
                        [new SensorReading(sensor.Id, now, sensor.Next(sample))],
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
}
