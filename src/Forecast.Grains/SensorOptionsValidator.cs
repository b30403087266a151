using Forecast.Abstractions;

namespace Forecast.Grains;

/// <summary>Checks <see cref="SensorOptions"/>; each message names the key and its default.</summary>
internal sealed class SensorOptionsValidator : OptionsValidator<SensorOptions>
{
    protected override IEnumerable<string> Failures(SensorOptions o)
    {
        if (o.CheckpointReadings < 1)
        {
            yield return "Sensors:CheckpointReadings must be at least 1 (default 100).";
        }

        if (o.CheckpointInterval < TimeSpan.FromSeconds(1))
        {
            yield return "Sensors:CheckpointInterval must be at least 00:00:01 (default 00:00:30).";
        }
    }
}
