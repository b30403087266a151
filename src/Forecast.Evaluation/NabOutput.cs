using System.Globalization;
using Forecast.Grains;

namespace Forecast.Evaluation;

/// <summary>Anomaly scores in the Numenta Anomaly Benchmark's detector format, for its scorer.</summary>
internal static class NabOutput
{
    /// <summary>NAB's detector output: <c>timestamp,value,anomaly_score</c>, the score in [0, 1].</summary>
    public static void Write(string path, SeriesCsv series, double[] scores, AnomalyOptions options)
    {
        using var writer = new StreamWriter(path);
        writer.WriteLine("timestamp,value,anomaly_score");
        foreach (var row in series.Rows)
        {
            // A duplicate row repeats the score of the reading it duplicates, so every input row has one.
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{row.TimeText},{row.Value:R},{AnomalyScore(scores[row.Index], options):0.######}"));
        }
    }

    /// <summary>The stream's score (absolute residual over residual scale) over the critical score, capped at 1; unscored rows are 0.</summary>
    public static double AnomalyScore(double score, AnomalyOptions options) =>
        double.IsNaN(score) ? 0 : Math.Min(1, score / options.CriticalScore);
}
