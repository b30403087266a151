namespace Forecast.Host.Simulation;

/// <summary>The built-in sensor simulator of <c>forecast run</c>.</summary>
internal sealed class SimulatorOptions
{
    /// <summary>Configuration section: <c>Simulator</c>.</summary>
    public const string SectionName = "Simulator";

    /// <summary>Simulated sensors. Default 1,000 (<c>--sensors</c>).</summary>
    public int Sensors { get; set; } = 1_000;

    /// <summary>Time between two readings of one sensor. Default 1 s (<c>--interval</c>).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Seed of every sensor's parameters and noise. Default 42.</summary>
    public int Seed { get; set; } = 42;

    /// <summary>Chance per reading that an anomaly starts. Default 0.0005 (one per sensor every ~33 minutes at 1 s).</summary>
    public double AnomalyRate { get; set; } = 0.0005;

    /// <summary>
    /// Readings of history each sensor sends first, as fast as the grains take them, stamped
    /// <c>Interval</c> apart up to now; then it goes on in real time. Default 360 (six minutes at 1 s): enough
    /// for the model's warm-up and the detector's learning (48 + 256 readings), so a run shows anomalies,
    /// forecasts and alerts within seconds instead of after minutes. 0: start cold.
    /// </summary>
    public int HistoryReadings { get; set; } = 360;

    /// <summary>Grain calls in flight at most; beyond it the simulator waits (backpressure). Default 2,000.</summary>
    public int MaxInFlight { get; set; } = 2_000;

    /// <summary>Id of sensor <paramref name="index"/>.</summary>
    public static string SensorId(int index) => $"sim/sensor-{index:D5}";

    public SimulatedSensor[] CreateSensors() =>
        [.. Enumerable.Range(0, Sensors).Select(i => new SimulatedSensor(SensorId(i), HashCode.Combine(Seed, i), AnomalyRate))];
}
