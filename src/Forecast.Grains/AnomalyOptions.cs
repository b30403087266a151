namespace Forecast.Grains;

/// <summary>
/// How a sensor's readings are scored and when they open and close anomaly episodes (see
/// <see cref="AnomalyScorer"/>). A reading's <em>surprise</em> is its absolute residual over the
/// sensor's error scale; its <em>anomaly score</em>, in [0, 1], is what opens an episode.
/// </summary>
public sealed class AnomalyOptions
{
    /// <summary>Configuration section: <c>Anomaly</c>.</summary>
    public const string SectionName = "Anomaly";

    /// <summary>
    /// Anomaly score that opens an episode. The score is a log-scaled tail probability, so the default
    /// 0.6 means a surprise run as rare as one in a million (with <see cref="LogScale"/> 10).
    /// </summary>
    public double Threshold { get; set; } = 0.6;

    /// <summary>Readings a sensor learns from before any decision (no score, no episode). Default 256.</summary>
    public int LearningReadings { get; set; } = 256;

    /// <summary>Readings after a detection whose scores are held at 0, so one event raises one alert. Default 50.</summary>
    public int SuppressReadings { get; set; } = 50;

    /// <summary>
    /// After a detection and its <see cref="SuppressReadings"/>, scores stay held at 0 until one falls below
    /// this (a tail probability above 10%: the sensor is back to ordinary), so an event that lasts is
    /// detected once. Default 0.1.
    /// </summary>
    public double RearmScore { get; set; } = 0.1;

    /// <summary>
    /// A value farther than this fraction of the sensor's seen range outside that range is novel and
    /// scores 1. Default 0.05.
    /// </summary>
    public double NoveltyMargin { get; set; } = 0.05;

    /// <summary>Surprise at which the raw score is 1 - e^-1/2 (about 0.39): raw = 1 - exp(-surprise^2 / (2 RawScale^2)). Default 3.</summary>
    public double RawScale { get; set; } = 3;

    /// <summary>Raw scores in the short moving average the likelihood judges. Default 10.</summary>
    public int ShortWindow { get; set; } = 10;

    /// <summary>Readings per block of the rolling Gaussian; it is re-estimated as each block closes. Default 128.</summary>
    public int EstimationBlock { get; set; } = 128;

    /// <summary>Blocks the rolling Gaussian spans (default 32, so 4,096 readings).</summary>
    public int EstimationBlocks { get; set; } = 32;

    /// <summary>Smallest standard deviation of the rolling Gaussian, so a perfectly regular sensor does not alarm on dust. Default 0.01.</summary>
    public double MinDeviation { get; set; } = 0.01;

    /// <summary>Decades of tail probability that make an anomaly score of 1: score = -log10(tail) / LogScale. Default 10.</summary>
    public double LogScale { get; set; } = 10;

    /// <summary>
    /// The season the sensor's usual value at each phase is learned over (see <see cref="SeasonalProfile"/>);
    /// 0 turns the seasonal surprise off. Default one day.
    /// </summary>
    public TimeSpan SeasonPeriod { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Bins of the season (default 48: half-hours of a day).</summary>
    public int SeasonBins { get; set; } = 48;

    /// <summary>Weight of the latest season in each bin's usual value (default 0.5: the last few days count).</summary>
    public double SeasonWeight { get; set; } = 0.5;

    /// <summary>Smallest deviation of a bin, as a fraction of the sensor's seen range, so a regular sensor does not alarm on dust. Default 0.02.</summary>
    public double SeasonFloor { get; set; } = 0.02;

    /// <summary>Surprise that makes an episode critical (a novel value does too). Default 10.</summary>
    public double CriticalScore { get; set; } = 10;

    /// <summary>Surprises below this count as quiet. Default 3.</summary>
    public double CloseScore { get; set; } = 3;

    /// <summary>Consecutive quiet readings that close an episode. Default 5.</summary>
    public int CloseAfter { get; set; } = 5;

    /// <summary>
    /// Surprise beyond which a reading reaches the model clipped to this many error scales from its
    /// forecast, for at most <see cref="ClampReadings"/> readings in a row, so one spike does not throw
    /// the model's state off. Default 5.
    /// </summary>
    public double ClampScore { get; set; } = 5;

    /// <summary>
    /// Readings in a row that are clipped (see <see cref="ClampScore"/>). A level shift that lasts
    /// longer is fed through unchanged and the model adapts. Default 3.
    /// </summary>
    public int ClampReadings { get; set; } = 3;

    /// <summary>Scored readings before the sensor's own residual scale replaces the model's calibration. Default 32.</summary>
    public int MinResiduals { get; set; } = 32;

    /// <summary>
    /// Smallest residual scale the one-step and full-horizon surprises are measured in, as a fraction of the
    /// model's calibrated scale at that step, as for the episodes' scale: a sensor quieter than its model
    /// expects (a flat line) must not make float dust look anomalous. Default 0.5.
    /// </summary>
    public double SurpriseFloor { get; set; } = 0.5;

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
