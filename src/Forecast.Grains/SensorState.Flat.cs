using Forecast.Abstractions;

namespace Forecast.Grains;

// The flat layout written until November 2026, kept only to restore such a checkpoint; nothing writes
// these members, so a checkpoint written since holds their defaults. Those must stay what a build from
// before reads as an empty stream (its restore fails on a null array). Never reuse their ids.
internal sealed partial class SensorState
{
    [Id(1)] public int ScalerCount { get; set; }

    [Id(2)] public double ScalerMean { get; set; }

    [Id(3)] public double ScalerM2 { get; set; }

    [Id(4)] public double ScalerScale { get; set; } = 1;

    [Id(5)] public bool ScalerFixed { get; set; }

    [Id(6)] public int RingCapacity { get; set; }

    [Id(7)] public long[] RingTicks { get; set; } = [];

    [Id(8)] public float[] RingValues { get; set; } = [];

    [Id(13)] public int ResidualCount { get; set; }

    [Id(14)] public double ResidualMeanSquare { get; set; }

    [Id(20)] public bool EpisodeOpen { get; set; }

    [Id(21)] public DateTimeOffset EpisodeStart { get; set; }

    [Id(22)] public AnomalySeverity EpisodeSeverity { get; set; }

    [Id(23)] public int EpisodeLength { get; set; }

    [Id(24)] public int EpisodeQuiet { get; set; }

    [Id(27)] public float[] StepForecasts { get; set; } = [];

    [Id(28)] public int StepRows { get; set; }

    [Id(29)] public int StepNewest { get; set; }

    [Id(30)] public double[] StepMeanSquares { get; set; } = [];

    [Id(31)] public int[] StepCounts { get; set; } = [];

    /// <summary>The scaler: the record, or in a flat checkpoint its flat members.</summary>
    public ScalerState ScalerOrFlat() => Scaler ?? new(ScalerCount, ScalerMean, ScalerM2, ScalerScale, ScalerFixed);

    /// <summary>The ring buffer: the record, or in a flat checkpoint its flat members; null when there is none.</summary>
    public ReadingRingState? RingOrFlat() =>
        Ring ?? (RingCapacity > 0 ? new(RingCapacity, RingTicks, RingValues) : null);

    /// <summary>The residual scale: the record, or in a flat checkpoint its flat members.</summary>
    public ResidualScaleState ResidualsOrFlat() => Residuals ?? new(ResidualCount, ResidualMeanSquare);

    /// <summary>The episode: the record, or in a flat checkpoint its flat members.</summary>
    public AnomalyEpisodeState EpisodeOrFlat() =>
        Episode ?? new(EpisodeOpen, EpisodeStart, EpisodeSeverity, EpisodeLength, EpisodeQuiet);

    /// <summary>The per-step scales: the record, or in a flat checkpoint its flat members; null when there are none.</summary>
    public StepResidualsState? StepsOrFlat() =>
        Steps ?? (StepMeanSquares.Length > 0 ? new(StepForecasts, StepRows, StepNewest, StepMeanSquares, StepCounts) : null);
}
