using Forecast.Abstractions;

namespace Forecast.Grains;

/// <summary>
/// The durable part of a <see cref="SensorStream"/>, written at checkpoints and on deactivation and
/// restored on activation. Members are never reordered or renumbered; new ones go at the end.
/// </summary>
[GenerateSerializer, Alias("Forecast.SensorState")]
internal sealed class SensorState
{
    /// <summary>Model the recurrent state and forecast belong to; null before the first reading.</summary>
    [Id(0)] public string? ModelId { get; set; }

    [Id(1)] public int ScalerCount { get; set; }

    [Id(2)] public double ScalerMean { get; set; }

    [Id(3)] public double ScalerM2 { get; set; }

    [Id(4)] public double ScalerScale { get; set; } = 1;

    [Id(5)] public bool ScalerFixed { get; set; }

    /// <summary>Capacity of the ring buffer (the model's window or warm-up, whichever is longer).</summary>
    [Id(6)] public int RingCapacity { get; set; }

    /// <summary>Ring buffer event times in UTC ticks, oldest first.</summary>
    [Id(7)] public long[] RingTicks { get; set; } = [];

    /// <summary>Ring buffer values, oldest first.</summary>
    [Id(8)] public float[] RingValues { get; set; } = [];

    /// <summary>The model's recurrent state (h and c) after the last applied reading.</summary>
    [Id(9)] public float[] ModelState { get; set; } = [];

    /// <summary>The normalised forecast made after the last applied reading.</summary>
    [Id(10)] public float[] Forecast { get; set; } = [];

    [Id(11)] public bool Primed { get; set; }

    [Id(12)] public TimeSpan Interval { get; set; }

    [Id(13)] public int ResidualCount { get; set; }

    [Id(14)] public double ResidualMeanSquare { get; set; }

    [Id(15)] public DateTimeOffset? LastApplied { get; set; }

    [Id(16)] public long Applied { get; set; }

    [Id(17)] public long Duplicates { get; set; }

    [Id(18)] public long OutOfOrder { get; set; }

    [Id(19)] public long Invalid { get; set; }

    [Id(20)] public bool EpisodeOpen { get; set; }

    [Id(21)] public DateTimeOffset EpisodeStart { get; set; }

    [Id(22)] public AnomalySeverity EpisodeSeverity { get; set; }

    [Id(23)] public int EpisodeLength { get; set; }

    [Id(24)] public int EpisodeQuiet { get; set; }

    /// <summary>Consecutive readings beyond the drift threshold (see <see cref="AnomalyOptions.DriftReadings"/>).</summary>
    [Id(25)] public int DriftRun { get; set; }

    /// <summary>Times the scaler was refitted after drift.</summary>
    [Id(26)] public long Refits { get; set; }

    /// <summary>Forecasts of the last H steps, row-major (see <see cref="StepResiduals"/>); empty for long horizons.</summary>
    [Id(27)] public float[] StepForecasts { get; set; } = [];

    [Id(28)] public int StepRows { get; set; }

    [Id(29)] public int StepNewest { get; set; }

    /// <summary>Per-step mean squared residual, normalised units.</summary>
    [Id(30)] public double[] StepMeanSquares { get; set; } = [];

    [Id(31)] public int[] StepCounts { get; set; } = [];
}
