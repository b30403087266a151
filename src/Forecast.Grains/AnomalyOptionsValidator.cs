using Forecast.Abstractions;

namespace Forecast.Grains;

/// <summary>Checks <see cref="AnomalyOptions"/>; each message names the keys and their defaults.</summary>
internal sealed class AnomalyOptionsValidator : OptionsValidator<AnomalyOptions>
{
    protected override IEnumerable<string> Failures(AnomalyOptions o)
    {
        if (!(o.CloseScore < o.OpenScore && o.OpenScore <= o.CriticalScore))
        {
            yield return "Anomaly thresholds must satisfy CloseScore < OpenScore <= CriticalScore (defaults 3, 5, 10).";
        }

        if (o.CloseAfter < 1 || o.MinResiduals < 1)
        {
            yield return "Anomaly:CloseAfter and Anomaly:MinResiduals must be at least 1.";
        }

        if (o.ResidualWeight is not (> 0 and <= 1))
        {
            yield return "Anomaly:ResidualWeight must be in (0, 1]; 0.02 weighs about the last 50 residuals.";
        }

        if (o.DriftReadings < 0 || o.DriftScore < 1)
        {
            yield return "Anomaly:DriftReadings must be at least 0 (0: never refit; default 12) and Anomaly:DriftScore at least 1 (default 4).";
        }
    }
}
