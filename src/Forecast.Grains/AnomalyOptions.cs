namespace Forecast.Grains;

/// <summary>When a sensor's readings open and close anomaly episodes.</summary>
public sealed class AnomalyOptions
{
    /// <summary>Configuration section: <c>Anomaly</c>.</summary>
    public const string SectionName = "Anomaly";

    /// <summary>Score (absolute residual over residual scale) that opens an episode. Default 5.</summary>
    public double OpenScore { get; set; } = 5;

    /// <summary>Score that makes an episode critical. Default 10.</summary>
    public double CriticalScore { get; set; } = 10;

    /// <summary>Scores below this count as quiet. Default 3.</summary>
    public double CloseScore { get; set; } = 3;

    /// <summary>Consecutive quiet readings that close an episode. Default 5.</summary>
    public int CloseAfter { get; set; } = 5;

    /// <summary>
    /// For this many readings after an episode opens, anomalous values are clipped to the opening
    /// threshold before they reach the model, so one spike does not throw its state off. A level
    /// shift that lasts longer is fed through unchanged and the model adapts. Default 3.
    /// </summary>
    public int ClampReadings { get; set; } = 3;

    /// <summary>Scored readings before the sensor's own residual scale replaces the model's calibration. Default 32.</summary>
    public int MinResiduals { get; set; } = 32;

    /// <summary>Weight of each new residual in the sensor's exponentially weighted residual scale. Default 0.02.</summary>
    public double ResidualWeight { get; set; } = 0.02;

    /// <summary>
    /// Normalised distance from the scaler's mean (in scales) beyond which a reading counts towards
    /// drift. Default 4.
    /// </summary>
    public double DriftScore { get; set; } = 4;

    /// <summary>
    /// Consecutive readings beyond <see cref="DriftScore"/> after which the level has drifted away from
    /// the scaler: it is refitted on the ring buffer and the model re-warmed from it. A spike or a
    /// shorter level shift only opens an anomaly episode. 0 turns refitting off. Default 12.
    /// </summary>
    public int DriftReadings { get; set; } = 12;
}
