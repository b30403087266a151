namespace Forecast.Evaluation;

/// <summary>
/// The naive forecasters every model is compared with in <c>forecast evaluate</c>: repeat the last
/// value, repeat the value one season back, and simple exponential smoothing. Each forecasts from
/// origin <c>t</c> (the last observed row) the row <c>t + k</c>, using rows up to <c>t</c> only.
/// </summary>
internal sealed class Baselines
{
    private readonly double[] _values;
    private readonly double[] _level;

    /// <summary>Fits the season (unless given) and the smoothing weight on rows <c>[0, fitRows)</c>.</summary>
    public Baselines(double[] values, int fitRows, int? season)
    {
        _values = values;
        fitRows = Math.Clamp(fitRows, 2, values.Length);
        Season = season ?? DetectSeason(values.AsSpan(0, fitRows));
        SeasonDetected = season is null;
        Alpha = FitAlpha(values.AsSpan(0, fitRows));
        _level = new double[values.Length];
        _level[0] = values[0];
        for (var t = 1; t < values.Length; t++)
        {
            _level[t] = _level[t - 1] + (Alpha * (values[t] - _level[t - 1]));
        }
    }

    /// <summary>Season length in rows used by the seasonal naive forecast (1 when none was found).</summary>
    public int Season { get; }

    public bool SeasonDetected { get; }

    /// <summary>Weight of the newest value in the exponentially smoothed level.</summary>
    public double Alpha { get; }

    public double RepeatLast(int origin, int step) => _values[origin];

    /// <summary>The value at the same phase of the last season observed by <paramref name="origin"/>.</summary>
    public double SeasonalNaive(int origin, int step)
    {
        var back = Season * (int)Math.Ceiling((double)step / Season);
        return _values[origin + step - back];
    }

    public double ExponentialSmoothing(int origin, int step) => _level[origin];

    /// <summary>
    /// The season in rows: the highest local maximum (lag 4 to a third of the data, at most 2,000) of
    /// the autocorrelation of the differenced series, if it exceeds 0.1 (differencing removes trend and
    /// level, which otherwise pull the peak early); else the same on the raw series above 0.2; else 1.
    /// </summary>
    public static int DetectSeason(ReadOnlySpan<double> values)
    {
        var differences = new double[Math.Max(0, values.Length - 1)];
        for (var t = 1; t < values.Length; t++)
        {
            differences[t - 1] = values[t] - values[t - 1];
        }

        var season = HighestPeak(differences, 0.1);
        return season > 1 ? season : HighestPeak(values, 0.2);
    }

    private static int HighestPeak(ReadOnlySpan<double> values, double threshold)
    {
        const int MinLag = 4;
        var n = values.Length;
        var maxLag = Math.Min(n / 3, 2000);
        if (maxLag <= MinLag)
        {
            return 1;
        }

        var mean = 0.0;
        foreach (var v in values)
        {
            mean += v / n;
        }

        var variance = 0.0;
        foreach (var v in values)
        {
            variance += (v - mean) * (v - mean);
        }

        if (variance <= 0)
        {
            return 1;
        }

        var acf = new double[maxLag + 2];
        for (var lag = MinLag - 1; lag <= maxLag + 1; lag++)
        {
            var sum = 0.0;
            for (var t = lag; t < n; t++)
            {
                sum += (values[t] - mean) * (values[t - lag] - mean);
            }

            acf[lag] = sum / variance;
        }

        var best = 1;
        var bestValue = threshold;
        for (var lag = MinLag; lag <= maxLag; lag++)
        {
            if (acf[lag] > acf[lag - 1] && acf[lag] >= acf[lag + 1] && acf[lag] > bestValue)
            {
                best = lag;
                bestValue = acf[lag];
            }
        }

        return best;
    }

    /// <summary>The smoothing weight in 0.01..1 with the least one-step squared error on <paramref name="values"/>.</summary>
    public static double FitAlpha(ReadOnlySpan<double> values)
    {
        var bestAlpha = 1.0;
        var bestError = double.PositiveInfinity;
        for (var step = 1; step <= 100; step++)
        {
            var alpha = step / 100.0;
            var level = values[0];
            var error = 0.0;
            for (var t = 1; t < values.Length; t++)
            {
                var residual = values[t] - level;
                error += residual * residual;
                level += alpha * residual;
            }

            if (error < bestError)
            {
                bestError = error;
                bestAlpha = alpha;
            }
        }

        return bestAlpha;
    }
}
