namespace Forecast.Grains;

/// <summary>
/// When a sensor's anomaly episode becomes an alert (<see cref="AlertLifecycle"/>): hysteresis and flap
/// suppression, in the sensor's event time. Bound from the <c>Alerts</c> section, beside the deliveries.
/// </summary>
public sealed class AlertRuleOptions
{
    /// <summary>Configuration section: <c>Alerts</c>.</summary>
    public const string SectionName = "Alerts";

    /// <summary>The <c>alertname</c> label, also part of the fingerprint. Default <c>ForecastAnomaly</c>.</summary>
    public string Rule { get; set; } = "ForecastAnomaly";

    /// <summary>How long an episode must stay open before its alert fires (0: at once, the default).</summary>
    public TimeSpan OpenAfter { get; set; }

    /// <summary>How long an alert keeps firing after its episode closed (Prometheus' <c>keep_firing_for</c>). Default 0.</summary>
    public TimeSpan KeepFiringFor { get; set; }

    /// <summary>
    /// Openings per hour per sensor at most; an alert due to resolve after that many stays open, marked
    /// flapping, until the oldest opening is an hour old. Default 6; 0 turns flap suppression off.
    /// </summary>
    public int MaxOpeningsPerHour { get; set; } = 6;
}

/// <summary>Checks <see cref="AlertRuleOptions"/>; each message names the key and its default.</summary>
internal sealed class AlertRuleOptionsValidator : Forecast.Abstractions.OptionsValidator<AlertRuleOptions>
{
    protected override IEnumerable<string> Failures(AlertRuleOptions o)
    {
        if (string.IsNullOrWhiteSpace(o.Rule) || o.Rule.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or ':')))
        {
            yield return $"Alerts:Rule '{o.Rule}' must be a Prometheus label value of letters, digits, '_' and ':' (default ForecastAnomaly).";
        }

        if (o.OpenAfter < TimeSpan.Zero || o.OpenAfter > TimeSpan.FromDays(1))
        {
            yield return "Alerts:OpenAfter must be from 00:00:00 to 1.00:00:00 (default 0).";
        }

        if (o.KeepFiringFor < TimeSpan.Zero || o.KeepFiringFor > TimeSpan.FromDays(1))
        {
            yield return "Alerts:KeepFiringFor must be from 00:00:00 to 1.00:00:00 (default 0).";
        }

        if (o.MaxOpeningsPerHour is < 0 or > 1000)
        {
            yield return "Alerts:MaxOpeningsPerHour must be from 0 (no flap suppression) to 1000 (default 6).";
        }
    }
}
