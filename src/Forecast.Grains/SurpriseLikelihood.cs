namespace Forecast.Grains;

/// <summary>
/// The anomaly likelihood of one stream of surprises. Each surprise is squashed into a raw score in
/// [0, 1); a short moving average of raw scores (<see cref="AnomalyOptions.ShortWindow"/>) is compared
/// with a Gaussian fitted to that average's own recent history, re-estimated each time a block of
/// <see cref="AnomalyOptions.EstimationBlock"/> readings closes, over the last
/// <see cref="AnomalyOptions.EstimationBlocks"/> blocks. The upper tail probability is log-scaled:
/// <c>-log10(tail) / LogScale</c>, capped to [0, 1].
/// </summary>
internal sealed class SurpriseLikelihood
{
    // Raw scores and block moments lie in [0, 1]: half precision keeps them to three digits at half the memory.
    private readonly Half[] _recent;

    // Per closed block: its mean, then its mean square, interleaved.
    private readonly Half[] _blocks;
    private int _recentNext;
    private int _recentCount;
    private int _blockNext;
    private int _blockCount;
    private int _open;
    private double _openSum;
    private double _openSquares;
    private double _mean = double.NaN;
    private double _deviation = double.NaN;

    public SurpriseLikelihood(AnomalyOptions options)
    {
        _recent = new Half[options.ShortWindow];
        _blocks = new Half[2 * options.EstimationBlocks];
    }

    /// <summary>The likelihood score of <paramref name="surprise"/>; 0 before the first block closes and for NaN.</summary>
    public double Observe(double surprise, AnomalyOptions options)
    {
        if (double.IsNaN(surprise))
        {
            return 0;
        }

        var raw = 1 - Math.Exp(-(surprise * surprise) / (2 * options.RawScale * options.RawScale));
        var average = Average(raw);
        // Judged against the Gaussian of the readings before it, then added to it.
        var score = double.IsNaN(_mean) ? 0 : Score(average, options);
        Estimate(average, options);
        return score;
    }

    private double Score(double average, AnomalyOptions options)
    {
        var tail = 0.5 * Erfc((average - _mean) / (_deviation * Math.Sqrt(2)));
        return Math.Clamp(-Math.Log10(Math.Max(tail, 1e-300)) / options.LogScale, 0, 1);
    }

    private double Average(double raw)
    {
        _recent[_recentNext] = (Half)raw;
        _recentNext = (_recentNext + 1) % _recent.Length;
        _recentCount = Math.Min(_recentCount + 1, _recent.Length);
        var sum = 0.0;
        for (var i = 0; i < _recentCount; i++)
        {
            sum += (double)_recent[i];
        }

        return sum / _recentCount;
    }

    /// <summary>Adds the average to the open block; a full block closes and the Gaussian is refitted on the kept ones.</summary>
    private void Estimate(double average, AnomalyOptions options)
    {
        _openSum += average;
        _openSquares += average * average;
        if (++_open < options.EstimationBlock)
        {
            return;
        }

        _blocks[2 * _blockNext] = (Half)(_openSum / _open);
        _blocks[(2 * _blockNext) + 1] = (Half)(_openSquares / _open);
        _blockNext = (_blockNext + 1) % (_blocks.Length / 2);
        _blockCount = Math.Min(_blockCount + 1, _blocks.Length / 2);
        (_open, _openSum, _openSquares) = (0, 0, 0);

        double mean = 0, square = 0;
        for (var i = 0; i < _blockCount; i++)
        {
            mean += (double)_blocks[2 * i];
            square += (double)_blocks[(2 * i) + 1];
        }

        _mean = mean / _blockCount;
        _deviation = Math.Sqrt(Math.Max((square / _blockCount) - (_mean * _mean), options.MinDeviation * options.MinDeviation));
    }

    /// <summary>The complementary error function (Numerical Recipes' Chebyshev fit, relative error below 1.2e-7).</summary>
    private static double Erfc(double x)
    {
        var z = Math.Abs(x);
        var t = 1 / (1 + (0.5 * z));
        var poly = -1.26551223 + (t * (1.00002368 + (t * (0.37409196 + (t * (0.09678418 + (t * (-0.18628806 + (t * (0.27886807
            + (t * (-1.13520398 + (t * (1.48851587 + (t * (-0.82215223 + (t * 0.17087277)))))))))))))))));
        var r = t * Math.Exp(-(z * z) + poly);
        return x >= 0 ? r : 2 - r;
    }

    /// <summary>The likelihood's state, for a checkpoint.</summary>
    public SurpriseLikelihoodState ToState() =>
        new([.. _recent.Select(h => (float)h)], _recentNext, _recentCount, [.. _blocks.Select(h => (float)h)], _blockNext, _blockCount, _open, _openSum, _openSquares, _mean, _deviation);

    /// <summary>A likelihood as a checkpoint left it; null when its sizes are not the options' (they changed since).</summary>
    public static SurpriseLikelihood? From(SurpriseLikelihoodState state, AnomalyOptions options)
    {
        var restored = new SurpriseLikelihood(options);
        if (state.Recent.Length != restored._recent.Length || state.Blocks.Length != restored._blocks.Length)
        {
            return null;
        }

        for (var i = 0; i < state.Recent.Length; i++)
        {
            restored._recent[i] = (Half)state.Recent[i];
        }

        for (var i = 0; i < state.Blocks.Length; i++)
        {
            restored._blocks[i] = (Half)state.Blocks[i];
        }

        restored._recentNext = Math.Clamp(state.RecentNext, 0, restored._recent.Length - 1);
        restored._recentCount = Math.Clamp(state.RecentCount, 0, restored._recent.Length);
        restored._blockNext = Math.Clamp(state.BlockNext, 0, (restored._blocks.Length / 2) - 1);
        restored._blockCount = Math.Clamp(state.BlockCount, 0, restored._blocks.Length / 2);
        restored._open = Math.Max(0, state.Open);
        (restored._openSum, restored._openSquares, restored._mean, restored._deviation) = (state.OpenSum, state.OpenSquares, state.Mean, state.Deviation);
        return restored;
    }
}

/// <summary>A <see cref="SurpriseLikelihood"/> as a checkpoint holds it; the arrays are its own copies.</summary>
/// <param name="Recent">The short window of raw scores (a ring).</param>
/// <param name="RecentNext">Next slot of <paramref name="Recent"/>.</param>
/// <param name="RecentCount">Slots of <paramref name="Recent"/> in use.</param>
/// <param name="Blocks">Closed blocks' mean and mean square, interleaved (a ring).</param>
/// <param name="BlockNext">Next block slot.</param>
/// <param name="BlockCount">Block slots in use.</param>
/// <param name="Open">Readings in the open block.</param>
/// <param name="OpenSum">Their sum of averages.</param>
/// <param name="OpenSquares">Their sum of squared averages.</param>
/// <param name="Mean">The fitted Gaussian's mean (NaN before the first block closed).</param>
/// <param name="Deviation">Its standard deviation.</param>
[GenerateSerializer, Immutable, Alias("Forecast.SurpriseLikelihoodState")]
internal sealed record SurpriseLikelihoodState(
    [property: Id(0)] float[] Recent,
    [property: Id(1)] int RecentNext,
    [property: Id(2)] int RecentCount,
    [property: Id(3)] float[] Blocks,
    [property: Id(4)] int BlockNext,
    [property: Id(5)] int BlockCount,
    [property: Id(6)] int Open,
    [property: Id(7)] double OpenSum,
    [property: Id(8)] double OpenSquares,
    [property: Id(9)] double Mean,
    [property: Id(10)] double Deviation);
