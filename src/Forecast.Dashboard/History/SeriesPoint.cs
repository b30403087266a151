namespace Forecast.Dashboard.History;

/// <summary>
/// One reading with the one-step-ahead forecast made for it (the step-1 forecast issued at the sensor's reading
/// before), 24 bytes: floats are plenty for a chart. <see cref="Mean"/> is NaN when no forecast preceded the reading.
/// </summary>
internal readonly record struct SeriesPoint(long TimeMs, float Value, float Mean, float Lower, float Upper)
{
    public bool HasForecast => !float.IsNaN(Mean);

    /// <summary>Whether the reading fell inside the band forecast for it (false when there was none).</summary>
    public bool InBand => HasForecast && Value >= Lower && Value <= Upper;
}
