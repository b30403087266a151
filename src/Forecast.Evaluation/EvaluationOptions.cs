namespace Forecast.Evaluation;

/// <summary>What <c>forecast evaluate</c> replays, through which model, and what it scores.</summary>
internal sealed class EvaluationOptions
{
    /// <summary>Folder of the model to evaluate (<c>--model</c>).</summary>
    public string ModelDirectory { get; set; } = "";

    /// <summary>CSV file with a header row (<c>--data</c>).</summary>
    public string Data { get; set; } = "";

    /// <summary>Name of the timestamp column (<c>--time-column</c>).</summary>
    public string TimeColumn { get; set; } = "";

    /// <summary>Name of the numeric value column (<c>--value-column</c>).</summary>
    public string ValueColumn { get; set; } = "";

    /// <summary>Horizons to report, each from 1 to the model's; empty: the model's horizon (<c>--horizon</c>, <c>--horizons</c>).</summary>
    public IReadOnlyList<int> Horizons { get; set; } = [];

    /// <summary>Season of the seasonal naive baseline in rows; null: detected on the fitting rows (<c>--season</c>).</summary>
    public int? Season { get; set; }

    /// <summary>First target time scored; null: from the first row (<c>--score-from</c>).</summary>
    public DateTimeOffset? ScoreFrom { get; set; }

    /// <summary>Target times from this one on are not scored; null: to the last row (<c>--score-to</c>).</summary>
    public DateTimeOffset? ScoreTo { get; set; }

    /// <summary>Where to write NAB's <c>timestamp,value,anomaly_score</c> per row; null: nowhere (<c>--anomalies-out</c>).</summary>
    public string? AnomaliesOut { get; set; }
}
