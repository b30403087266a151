using System.Diagnostics;
using Forecast.Abstractions;

namespace Forecast.Host.Simulation;

/// <summary>
/// Drives the built-in sensors in real time: every <see cref="SimulatorOptions.Interval"/> each sensor
/// produces one reading, stamped with the wall clock, and it goes to the sensor's grain.
/// </summary>
internal sealed class SimulatorService(
    IOptions<SimulatorOptions> options,
    ReadingDriver driver,
    TimeProvider clock) : BackgroundService
{
    private SimulatedSensor[] _sensors = [];

    public int Injected => _sensors.Sum(s => s.Injected);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        _sensors = settings.CreateSensors();
        using var timer = new PeriodicTimer(settings.Interval, clock);
        try
        {
            for (long t = 0; !stoppingToken.IsCancellationRequested; t++)
            {
                var now = clock.GetUtcNow();
                var madeAt = Stopwatch.GetTimestamp();
                foreach (var sensor in _sensors)
                {
                    await driver.SendAsync(sensor.Id, [new SensorReading(sensor.Id, now, sensor.Next(t))], madeAt, stoppingToken);
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
