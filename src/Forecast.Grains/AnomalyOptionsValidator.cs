using Forecast.Abstractions;

namespace Forecast.Grains;

/// <summary>Checks <see cref="AnomalyOptions"/>; each message names the keys and their defaults.</summary>
internal sealed class AnomalyOptionsValidator : OptionsValidator<AnomalyOptions>
{
    protected override IEnumerable<string> Failures(AnomalyOptions o)
    {
        if (o.Threshold is not (> 0 and <= 1))
        {
            yield return "Anomaly:Threshold must be in (0, 1] (default 0.6: a surprise as rare as one in 10^(0.6 LogScale), a million).";
        }

        if (!(o.RearmScore > 0 && o.RearmScore <= o.Threshold))
        {
            yield return "Anomaly:RearmScore must be above 0 and at most Anomaly:Threshold (defaults 0.1, 0.6).";
        }

        if (!(o.CloseScore > 0 && o.CloseScore < o.ClampScore && o.CloseScore < o.CriticalScore))
        {
            yield return "Anomaly surprises must satisfy 0 < CloseScore < ClampScore and CloseScore < CriticalScore (defaults 3, 5, 10).";
        }

        if (o.LearningReadings < 0 || o.SuppressReadings < 0 || o.ClampReadings < 0)
        {
            yield return "Anomaly:LearningReadings, Anomaly:SuppressReadings and Anomaly:ClampReadings must be at least 0 (defaults 256, 50, 3).";
        }

        if (o.ShortWindow is < 1 or > 1000 || o.EstimationBlock < 1 || o.EstimationBlocks is < 1 or > 1000)
        {
            yield return "Anomaly:ShortWindow and Anomaly:EstimationBlocks must be from 1 to 1000 and Anomaly:EstimationBlock at least 1 (defaults 10, 32, 128).";
        }

        if (o.SeasonPeriod < TimeSpan.Zero || o.SeasonBins is < 1 or > 10_000 || o.SeasonWeight is not (> 0 and <= 1) || !(o.SeasonFloor > 0))
        {
            yield return "Anomaly:SeasonPeriod must be at least 0 (0: off; default 1 day), Anomaly:SeasonBins from 1 to 10000 (default 48), Anomaly:SeasonWeight in (0, 1] (default 0.5) and Anomaly:SeasonFloor above 0 (default 0.02).";
        }

        if (!(o.RawScale > 0 && o.LogScale > 0 && o.MinDeviation > 0 && o.NoveltyMargin >= 0))
        {
            yield return "Anomaly:RawScale, Anomaly:LogScale and Anomaly:MinDeviation must be above 0 and Anomaly:NoveltyMargin at least 0 (defaults 3, 10, 0.01, 0.05).";
        }

        if (o.CloseAfter < 1 || o.MinResiduals < 1)
        {
            yield return "Anomaly:CloseAfter and Anomaly:MinResiduals must be at least 1.";
        }

        if (o.SurpriseFloor is not (>= 0 and <= 10))
        {
            yield return "Anomaly:SurpriseFloor must be from 0 to 10 (default 0.5: surprises are measured in at least half the model's calibrated residual scale).";
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
