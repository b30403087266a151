namespace Forecast.Grains;

/// <summary>
/// The durable part of a <see cref="SensorStream"/>, written at checkpoints and on deactivation and
/// restored on activation: the stream's own members and one state record per part it is made of.
/// Members are never reordered or renumbered; new ones go at the end.
/// </summary>
/// <remarks>
/// Until November 2026 every part was a flat member of this class. Those members keep their ids
/// (1 to 8, 13, 14, 20 to 24 and 27 to 31, in SensorState.Flat.cs) so that a checkpoint written then
/// still restores: it has none of the records, and each part is read from its flat members instead
/// (<see cref="ScalerOrFlat"/> and the like). They are written empty, so a build from before the
/// change reads a newer checkpoint as a sensor still in warm-up (counters and last applied time kept).
/// </remarks>
[GenerateSerializer, Alias("Forecast.SensorState")]
internal sealed partial class SensorState
{
    /// <summary>Model the recurrent state and forecast belong to; null before the first reading.</summary>
    [Id(0)] public string? ModelId { get; set; }

    /// <summary>The model's recurrent state (h and c) after the last applied reading.</summary>
    [Id(9)] public float[] ModelState { get; set; } = [];

    /// <summary>The normalised forecast made after the last applied reading.</summary>
    [Id(10)] public float[] Forecast { get; set; } = [];

    [Id(11)] public bool Primed { get; set; }

    [Id(12)] public TimeSpan Interval { get; set; }

    [Id(15)] public DateTimeOffset? LastApplied { get; set; }

    [Id(16)] public long Applied { get; set; }

    [Id(17)] public long Duplicates { get; set; }

    [Id(18)] public long OutOfOrder { get; set; }

    [Id(19)] public long Invalid { get; set; }

    /// <summary>Consecutive readings beyond the drift threshold (see <see cref="AnomalyOptions.DriftReadings"/>).</summary>
    [Id(25)] public int DriftRun { get; set; }

    /// <summary>Times the scaler was refitted after drift.</summary>
    [Id(26)] public long Refits { get; set; }

    /// <summary>The scaler; null in a flat checkpoint.</summary>
    [Id(32)] public ScalerState? Scaler { get; set; }

    /// <summary>The ring buffer; null before the first reading, and in a flat checkpoint.</summary>
    [Id(33)] public ReadingRingState? Ring { get; set; }

    /// <summary>The one-step residual scale; null in a flat checkpoint.</summary>
    [Id(34)] public ResidualScaleState? Residuals { get; set; }

    /// <summary>The anomaly episode; null in a flat checkpoint.</summary>
    [Id(35)] public AnomalyEpisodeState? Episode { get; set; }

    /// <summary>The per-step residual scales; null for long horizons, before the first reading, and in a flat checkpoint.</summary>
    [Id(36)] public StepResidualsState? Steps { get; set; }

    /// <summary>The anomaly scorer; null in a checkpoint from before December 2026, whose sensor then learns again.</summary>
    [Id(37)] public AnomalyScorerState? Scorer { get; set; }

    /// <summary>Readings clipped since the surprise was last quiet (see <see cref="AnomalyOptions.ClampReadings"/>).</summary>
    [Id(38)] public int Clamped { get; set; }

    /// <summary>The sensor's alert; null while there is none to remember.</summary>
    [Id(39)] public AlertLifecycleState? Alert { get; set; }
}
