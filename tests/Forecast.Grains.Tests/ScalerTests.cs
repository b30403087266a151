namespace Forecast.Grains.Tests;

public sealed class ScalerTests
{
    [Fact]
    public void Observe_TracksPopulationMeanAndStandardDeviation()
    {
        var scaler = new Scaler();
        foreach (var value in new[] { 2.0, 4, 4, 4, 5, 5, 7, 9 })
        {
            scaler.Observe(value);
        }

        Assert.Equal(5, scaler.Mean, 12);
        Assert.Equal(2, scaler.StandardDeviation, 12);
    }

    [Fact]
    public void Fix_UsesStandardDeviationAsScale_AndRoundTrips()
    {
        var scaler = Fitted(10, 20, 30);
        scaler.Fix(1e-6, 1e-3);

        Assert.True(scaler.IsFixed);
        Assert.Equal(Math.Sqrt(200.0 / 3), scaler.Scale, 12);
        Assert.Equal(0, scaler.Normalise(20), 12);
        Assert.Equal(27.5, scaler.Denormalise(scaler.Normalise(27.5)), 12);
    }

    [Fact]
    public void Fitted_IsAFixedScalerOverTheValues_WithTheSameFloors()
    {
        var scaler = Scaler.Fitted([2.0, 4, 4, 4, 5, 5, 7, 9], 1e-6, 1e-3);
        var flat = Scaler.Fitted([100.0, 100, 100], 1e-6, 1e-3);

        Assert.True(scaler.IsFixed);
        Assert.Equal((5, 2), (scaler.Mean, scaler.Scale));
        Assert.Equal(0.1, flat.Scale, 12);
    }

    [Fact]
    public void Fix_FloorsScale_WhenSensorIsFlat()
    {
        var relative = Fitted(100, 100, 100);
        relative.Fix(1e-6, 1e-3);
        Assert.Equal(0.1, relative.Scale, 12);

        var absolute = Fitted(0, 0, 0);
        absolute.Fix(1e-6, 1e-3);
        Assert.Equal(1e-6, absolute.Scale, 12);
        Assert.True(double.IsFinite(absolute.Normalise(5)));
    }

    [Fact]
    public void Observe_Throws_WhenFixed()
    {
        var scaler = Fitted(1, 2);
        scaler.Fix(1e-6, 1e-3);
        Assert.Throws<InvalidOperationException>(() => scaler.Observe(3));
    }

    private static Scaler Fitted(params double[] values)
    {
        var scaler = new Scaler();
        foreach (var value in values)
        {
            scaler.Observe(value);
        }

        return scaler;
    }
}
