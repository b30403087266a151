namespace Forecast.Grains.Tests;

public sealed class StepResidualsTests
{
    private static readonly AnomalyOptions Options = new() { MinResiduals = 2, ResidualWeight = 0.5 };

    [Fact]
    public void Observe_ScoresEachKeptForecastAtItsOwnStep()
    {
        var steps = new StepResiduals(3);
        // Made one, two and three steps before the reading of 10: their forecasts of it are 9, 8 and 7.
        steps.Push([0, 0, 7]);
        steps.Push([0, 8, 10]);
        steps.Push([9, 10, 0]);
        Assert.Null(steps.Sigma(0, Options));

        steps.Observe(10, Sigmas(100), 1, Options);
        steps.Push([10, 10, 10]);
        steps.Observe(10, Sigmas(100), 1, Options);

        // Step 1: residuals 1 then 0; step 2: 2 then 0; step 3: 3 then 0 (mean squares weighted 0.5).
        // The second reading's forecasts of 10 came from the rows pushed 1, 2 and 3 steps before it.
        Assert.Equal(Math.Sqrt(0.5), steps.Sigma(0, Options)!.Value, 9);
        Assert.Equal(Math.Sqrt(2), steps.Sigma(1, Options)!.Value, 9);
        Assert.Equal(Math.Sqrt(4.5), steps.Sigma(2, Options)!.Value, 9);
    }

    [Fact]
    public void Observe_ClipsAnOutlierAtThreeSigmas()
    {
        var steps = new StepResiduals(1);
        steps.Push([0]);
        steps.Observe(100, Sigmas(1), 1, Options);

        steps.Push([0]);
        steps.Observe(0, Sigmas(1), 1, Options);

        // The first residual counts as 3 (three fallback sigmas), not 100.
        Assert.Equal(Math.Sqrt(4.5), steps.Sigma(0, Options)!.Value, 9);
    }

    [Fact]
    public void ForgetAndRescale_DropTheKeptForecasts_AndRescaleKeepsTheScales()
    {
        var steps = new StepResiduals(2);
        steps.Push([0, 0]);
        steps.Observe(2, Sigmas(10), 1, Options);
        steps.Push([0, 0]);
        steps.Observe(2, Sigmas(10), 1, Options);
        Assert.Equal(2, steps.Sigma(0, Options)!.Value, 9);

        // The scaler's scale doubled: 2 old units are 1 new unit. Old forecasts would be misread, so none is scored.
        steps.Rescale(0.5);
        steps.Observe(50, Sigmas(10), 1, Options);
        Assert.Equal(1, steps.Sigma(0, Options)!.Value, 9);

        steps.Push([0, 0]);
        steps.Forget();
        steps.Observe(50, Sigmas(10), 1, Options);
        Assert.Equal(1, steps.Sigma(0, Options)!.Value, 9);
    }

    [Fact]
    public void From_GivesBackTheSameScales_AndRefusesAMismatchedCheckpoint()
    {
        var steps = new StepResiduals(2);
        steps.Push([1, 2]);
        steps.Observe(3, Sigmas(10), 1, Options);
        steps.Push([3, 4]);
        steps.Observe(5, Sigmas(10), 1, Options);

        var state = steps.ToState();
        var restored = StepResiduals.From(state)!;
        restored.Push([5, 6]);
        steps.Push([5, 6]);
        restored.Observe(7, Sigmas(10), 1, Options);
        steps.Observe(7, Sigmas(10), 1, Options);

        Assert.Equal(steps.Sigma(0, Options), restored.Sigma(0, Options));
        Assert.Equal(steps.Sigma(1, Options), restored.Sigma(1, Options));
        Assert.Null(StepResiduals.From(state with { Past = state.Past[..3] }));
        Assert.Null(StepResiduals.For(StepResiduals.MaxHorizon + 1));
    }

    private static double[] Sigmas(double sigma) => [sigma, sigma, sigma];
}
