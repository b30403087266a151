namespace Forecast.Grains.Tests;

public sealed class ResidualScaleTests
{
    private static readonly AnomalyOptions Options = new() { MinResiduals = 4, ResidualWeight = 0.5 };

    [Fact]
    public void Sigma_IsTheModels_UntilEnoughResiduals()
    {
        var scale = new ResidualScale();
        for (var i = 0; i < 3; i++)
        {
            scale.Observe(2, 1, Options);
        }

        Assert.Equal(0.3, scale.Sigma(0.3, Options));
        scale.Observe(2, 1, Options);
        Assert.Equal(2, scale.Sigma(0.3, Options), 9);
    }

    [Fact]
    public void IntervalSigma_FollowsAQuietSensorBelowTheFloorThatProtectsScores()
    {
        var scale = new ResidualScale();
        for (var i = 0; i < 4; i++)
        {
            scale.Observe(0.1, 1, Options);
        }

        // Anomaly scores keep half the model's sigma as a floor; intervals use what the sensor earns.
        Assert.Equal(0.5, scale.Sigma(1, Options), 9);
        Assert.Equal(0.1, scale.IntervalSigma(1, Options), 9);
    }

    [Fact]
    public void Rescale_ExpressesTheSigmaInTheNewUnits()
    {
        var scale = new ResidualScale();
        for (var i = 0; i < 4; i++)
        {
            scale.Observe(2, 1, Options);
        }

        // The scaler's scale doubled: a residual of 2 old units is 1 new unit.
        scale.Rescale(0.5);

        Assert.Equal(1, scale.Sigma(0.3, Options), 9);
    }

    [Fact]
    public void Observe_ClipsOutliersAtThreeSigma()
    {
        var scale = new ResidualScale();
        for (var i = 0; i < 4; i++)
        {
            scale.Observe(1000, 1, Options);
        }

        Assert.Equal(3, scale.Sigma(1, Options), 9);
    }

    [Fact]
    public void Sigma_IsFlooredAtHalfTheModels()
    {
        var scale = new ResidualScale();
        for (var i = 0; i < 4; i++)
        {
            scale.Observe(0, 1, Options);
        }

        Assert.Equal(0.5, scale.Sigma(1, Options), 9);
    }
}
