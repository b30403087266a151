namespace Forecast.Grains.Tests;

/// <summary>
/// A real, if trivial, window-signature model: it forecasts the mean of the window it is given for
/// every horizon step and has no state. Calls are recorded.
/// </summary>
internal sealed class WindowMeanForecaster : IForecaster
{
    public ModelDescriptor Model { get; set; } = new(
        "window-mean", "1", Features: 1, Layers: 0, Hidden: 0, Horizon: 3, Window: 6, Warmup: 4,
        SamplingInterval: TimeSpan.FromMinutes(1), MinScale: 1e-6, RelativeMinScale: 1e-3, Clip: 10,
        IntervalLevel: 0.9, IntervalZ: 1.6449, ResidualStd: [0.5, 0.6, 0.7], Signature: ModelSignature.Window);

    public List<float[]> Calls { get; } = [];

    public ValueTask StepAsync(ReadOnlyMemory<float> inputs, Memory<float> state, Memory<float> forecast, CancellationToken cancellationToken = default)
    {
        if (inputs.Length != Model.Window || !state.IsEmpty)
        {
            return ValueTask.FromException(new ArgumentException($"a window call takes {Model.Window} inputs and no state; got {inputs.Length} and {state.Length}"));
        }

        Calls.Add(inputs.ToArray());
        var mean = 0f;
        foreach (var x in inputs.Span)
        {
            mean += x / inputs.Length;
        }

        forecast.Span[..Model.Horizon].Fill(mean);
        return ValueTask.CompletedTask;
    }
}
