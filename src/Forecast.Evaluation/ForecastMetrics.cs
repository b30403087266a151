namespace Forecast.Evaluation;

/// <summary>Squared and absolute errors (and interval hits) of one forecaster, accumulated per horizon step.</summary>
internal sealed class ForecastMetrics(string name, int horizon, double scale)
{
    private readonly double[] _squared = new double[horizon];
    private readonly double[] _absolute = new double[horizon];
    private readonly long[] _covered = new long[horizon];
    private readonly long[] _count = new long[horizon];
    private bool _hasInterval;

    public string Name => name;

    public int Horizon => horizon;

    public long Windows => _count[0];

    /// <summary>Adds the error of the forecast for step <paramref name="step"/> (1-based), in original units.</summary>
    public void Add(int step, double forecast, double actual)
    {
        var error = actual - forecast;
        _squared[step - 1] += error * error;
        _absolute[step - 1] += Math.Abs(error);
        _count[step - 1]++;
    }

    /// <summary>Adds whether the actual value fell inside the forecast interval of step <paramref name="step"/>.</summary>
    public void AddInterval(int step, double lower, double upper, double actual)
    {
        _hasInterval = true;
        if (actual >= lower && actual <= upper)
        {
            _covered[step - 1]++;
        }
    }

    public double Mse(int step) => _squared[step - 1] / _count[step - 1];

    public double Mae(int step) => _absolute[step - 1] / _count[step - 1];

    public double NormalisedMse(int step) => Mse(step) / (scale * scale);

    public double NormalisedMae(int step) => Mae(step) / scale;

    public double Coverage(int step) => (double)_covered[step - 1] / _count[step - 1];

    /// <summary>The average over steps 1..horizon (every window counts once per step).</summary>
    public Summary Summarise() => new(
        name,
        Windows,
        Mean(NormalisedMse),
        Mean(NormalisedMae),
        Mean(Mse),
        Mean(Mae),
        _hasInterval ? Mean(Coverage) : null);

    private double Mean(Func<int, double> perStep)
    {
        var sum = 0.0;
        for (var step = 1; step <= horizon; step++)
        {
            sum += perStep(step);
        }

        return sum / horizon;
    }

    /// <summary>Metrics averaged over the steps of one horizon; coverage only for a forecaster with intervals.</summary>
    public sealed record Summary(string Forecaster, long Windows, double NormalisedMse, double NormalisedMae, double Mse, double Mae, double? Coverage);
}
