using Forecast.Abstractions;

namespace Forecast.Host.Simulation;

/// <summary>Checks <see cref="SimulatorOptions"/> for <c>forecast run</c> and <c>forecast simulate</c>.</summary>
internal sealed class SimulatorOptionsValidator : OptionsValidator<SimulatorOptions>
{
    protected override IEnumerable<string> Failures(SimulatorOptions o)
    {
        if (o.Sensors < 1)
        {
            yield return "Simulator:Sensors (--sensors) must be at least 1 (forecast run takes 0: no simulator).";
        }

        if (o.Interval < TimeSpan.FromMilliseconds(1))
        {
            yield return "Simulator:Interval (--interval) must be at least 1ms.";
        }

        if (o.AnomalyRate is not (>= 0 and <= 1))
        {
            yield return "Simulator:AnomalyRate must be between 0 and 1.";
        }

        if (o.HistoryReadings is < 0 or > 10_000)
        {
            yield return "Simulator:HistoryReadings must be from 0 to 10,000 (default 360).";
        }

        if (o.MaxInFlight < 1)
        {
            yield return "Simulator:MaxInFlight (--in-flight) must be at least 1.";
        }
    }
}
