using Microsoft.Extensions.Options;

namespace Forecast.Grains;

/// <summary>Checks <see cref="AnomalyOptions"/>; each message names the keys and their defaults.</summary>
internal sealed class AnomalyOptionsValidator : IValidateOptions<AnomalyOptions>
{
    public ValidateOptionsResult Validate(string? name, AnomalyOptions o)
    {
        var failures = new List<string>();
        if (!(o.CloseScore < o.OpenScore && o.OpenScore <= o.CriticalScore))
        {
            failures.Add("Anomaly thresholds must satisfy CloseScore < OpenScore <= CriticalScore (defaults 3, 5, 10).");
        }

        if (o.CloseAfter < 1 || o.MinResiduals < 1)
        {
            failures.Add("Anomaly:CloseAfter and Anomaly:MinResiduals must be at least 1.");
        }

        if (o.ResidualWeight is not (> 0 and <= 1))
        {
            failures.Add("Anomaly:ResidualWeight must be in (0, 1]; 0.02 weighs about the last 50 residuals.");
        }

        if (o.DriftReadings < 0 || o.DriftScore < 1)
        {
            failures.Add("Anomaly:DriftReadings must be at least 0 (0: never refit; default 12) and Anomaly:DriftScore at least 1 (default 4).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
