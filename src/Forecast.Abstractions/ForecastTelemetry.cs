using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Forecast.Abstractions;

/// <summary>
/// Forecast's one meter and one activity source, both named <c>Forecast</c>: every project records its
/// instruments (<c>forecast.*</c>, served as <c>forecast_*</c> on <c>/metrics</c>) and spans under these names.
/// Instruments tied to a service's lifetime are created from <c>IMeterFactory.Create(Name)</c>;
/// process-wide ones (grains, inference) on <see cref="Meter"/>.
/// </summary>
public static class ForecastTelemetry
{
    /// <summary>The meter's and the activity source's name.</summary>
    public const string Name = "Forecast";

    /// <summary>The process-wide meter.</summary>
    public static readonly Meter Meter = new(Name);

    /// <summary>Spans from a Kafka message through the grain, inference and the sink.</summary>
    public static readonly ActivitySource Source = new(Name);

    /// <summary>Anomaly events raised, by <c>severity</c> (<c>warning</c>, <c>critical</c>).</summary>
    public static readonly Counter<long> Anomalies = Meter.CreateCounter<long>("forecast.anomalies", "{anomaly}", "Anomaly events raised (openings and escalations), by severity.");

    /// <summary>The tag a severity is recorded with.</summary>
    public static KeyValuePair<string, object?> SeverityTag(AnomalySeverity severity) =>
        new("severity", severity.Label());
}
