namespace Forecast.Grains.Tests;

/// <summary>
/// A real, if trivial, model for testing the stream's bookkeeping: it forecasts the last input for
/// every horizon step and counts the inputs it has consumed in its state. Calls are recorded.
/// </summary>
internal sealed class PersistenceForecaster : IForecaster
{
    public ModelDescriptor Model { get; set; } = new(
        "persistence", "1", Features: 1, Layers: 1, Hidden: 1, Horizon: 3, Window: 8, Warmup: 4,
        SamplingInterval: TimeSpan.FromMinutes(1), MinScale: 1e-6, RelativeMinScale: 1e-3, Clip: 10,
        IntervalLevel: 0.9, IntervalZ: 1.6449, ResidualStd: [0.5, 0.6, 0.7]);

    public List<float[]> Calls { get; } = [];

    public Exception? FailWith { get; set; }

    /// <summary>Most a forecast is off by, at random (a fixed seed): a real model's float dust on a flat input.</summary>
    public float Dust { get; set; }

    private readonly Random _dust = new(3);

    public ValueTask StepAsync(ReadOnlyMemory<float> inputs, Memory<float> state, Memory<float> forecast, CancellationToken cancellationToken = default)
    {
        if (FailWith is { } failure)
        {
            return ValueTask.FromException(failure);
        }

        Calls.Add(inputs.ToArray());
        state.Span[0] += inputs.Length;
        forecast.Span[..Model.Horizon].Fill(inputs.Span[^1] + (Dust * _dust.NextSingle()));
        return ValueTask.CompletedTask;
    }
}
