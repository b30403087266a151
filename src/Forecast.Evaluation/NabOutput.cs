using System.Globalization;
using Forecast.Grains;

namespace Forecast.Evaluation;

/// <summary>Anomaly scores in the Numenta Anomaly Benchmark's detector format, for its scorer.</summary>
internal static class NabOutput
{
    /// <summary>NAB's detector output: <c>timestamp,value,anomaly_score</c>, the score in [0, 1].</summary>
    public static void Write(string path, SeriesCsv series, double[] scores)
    {
        using var writer = new StreamWriter(path);
        writer.WriteLine("timestamp,value,anomaly_score");
        foreach (var row in series.Rows)
        {
            // A row the stream ignored (a duplicate, or out of order) repeats the score of the reading before it, so every input row has one.
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{row.TimeText},{row.Value:R},{AnomalyScore(scores[row.Index]):0.######}"));
        }
    }

    /// <summary>
    /// The stream's anomaly score, the one its episodes open on (see <see cref="AnomalyScorer"/>); rows the
    /// stream did not score (warm-up, a gap longer than the horizon) are 0.
    /// </summary>
    public static double AnomalyScore(double score) => double.IsNaN(score) ? 0 : score;
}
