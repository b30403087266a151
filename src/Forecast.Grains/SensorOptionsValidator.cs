using Microsoft.Extensions.Options;

namespace Forecast.Grains;

/// <summary>Checks <see cref="SensorOptions"/>; each message names the key and its default.</summary>
internal sealed class SensorOptionsValidator : IValidateOptions<SensorOptions>
{
    public ValidateOptionsResult Validate(string? name, SensorOptions o)
    {
        var failures = new List<string>();
        if (o.CheckpointReadings < 1)
        {
            failures.Add("Sensors:CheckpointReadings must be at least 1 (default 100).");
        }

        if (o.CheckpointInterval < TimeSpan.FromSeconds(1))
        {
            failures.Add("Sensors:CheckpointInterval must be at least 00:00:01 (default 00:00:30).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
