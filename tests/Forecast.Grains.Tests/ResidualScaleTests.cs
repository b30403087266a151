namespace Forecast.Grains.Tests;

public sealed class ResidualScaleTests
{
    private static readonly AnomalyOptions Options = new() { MinResiduals = 4, ResidualWeight = 0.5 };

    [Fact]
    public void Sigma_IsTheModels_UntilEnoughResiduals()
    {
        var scale = Observed(2, times: 3);

        Assert.Equal(0.3, scale.Sigma(0.3, Options));
        scale.Observe(2, 1, Options);
        Assert.Equal(2, scale.Sigma(0.3, Options), 9);
    }

    [Fact]
    public void IntervalSigma_FollowsAQuietSensorBelowTheFloorThatProtectsScores()
    {
        var scale = Observed(0.1);

        // Anomaly scores keep half the model's sigma as a floor; intervals use what the sensor earns.
        Assert.Equal(0.5, scale.Sigma(1, Options), 9);
        Assert.Equal(0.1, scale.IntervalSigma(1, Options), 9);
    }

    [Fact]
    public void Rescale_ExpressesTheSigmaInTheNewUnits()
    {
        var scale = Observed(2);

        // The scaler's scale doubled: a residual of 2 old units is 1 new unit.
        scale.Rescale(0.5);

        Assert.Equal(1, scale.Sigma(0.3, Options), 9);
    }

    [Fact]
    public void Observe_ClipsOutliersAtThreeSigma()
    {
        var scale = Observed(1000);

        Assert.Equal(3, scale.Sigma(1, Options), 9);
    }

    [Fact]
    public void Sigma_IsFlooredAtHalfTheModels()
    {
        var scale = Observed(0);

        Assert.Equal(0.5, scale.Sigma(1, Options), 9);
    }

    /// <summary>A scale that has seen <paramref name="residual"/> (at a model sigma of 1) <paramref name="times"/> times.</summary>
    private static ResidualScale Observed(double residual, int times = 4)
    {
        var scale = new ResidualScale();
        for (var i = 0; i < times; i++)
        {
            scale.Observe(residual, 1, Options);
        }

        return scale;
    }
}
