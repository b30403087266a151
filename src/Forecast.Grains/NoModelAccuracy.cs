using Forecast.Abstractions;

namespace Forecast.Grains;

/// <summary>The accuracy sink of a silo without a model registry: nothing compares versions, so nothing is kept.</summary>
internal sealed class NoModelAccuracy : IModelAccuracy
{
    public void Record(string modelId, int readings, double absoluteError, int covered)
    {
    }
}
