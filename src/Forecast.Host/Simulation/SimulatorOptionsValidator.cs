using Microsoft.Extensions.Options;

namespace Forecast.Host.Simulation;

/// <summary>Checks <see cref="SimulatorOptions"/> for <c>forecast run</c> and <c>forecast simulate</c>.</summary>
internal sealed class SimulatorOptionsValidator : IValidateOptions<SimulatorOptions>
{
    public ValidateOptionsResult Validate(string? name, SimulatorOptions o)
    {
        var failures = new List<string>();
        if (o.Sensors < 1)
        {
            failures.Add("Simulator:Sensors (--sensors) must be at least 1.");
        }

        if (o.Interval < TimeSpan.FromMilliseconds(1))
        {
            failures.Add("Simulator:Interval (--interval) must be at least 1ms.");
        }

        if (o.AnomalyRate is not (>= 0 and <= 1))
        {
            failures.Add("Simulator:AnomalyRate must be between 0 and 1.");
        }

        if (o.MaxInFlight < 1)
        {
            failures.Add("Simulator:MaxInFlight (--in-flight) must be at least 1.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
