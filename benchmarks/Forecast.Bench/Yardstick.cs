using System.Diagnostics;
using Forecast.Abstractions;
using Forecast.Inference.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Forecast.Bench;

/// <summary>
/// The arithmetic limit of one stateful step on this machine: the step's gate product, [batch x
/// (hidden + features)] times [(hidden + features) x 4 hidden], timed alone through the same ONNX Runtime
/// with the same threads (<c>Yardstick/matmul.onnx</c>, exported from PyTorch by <c>export_matmul.py</c>).
/// A step does that product and more (the head, the gates' activations), so its rate is an upper bound.
/// </summary>
internal static class Yardstick
{
    public static double RowsPerSecond(ModelDescriptor model, OnnxInferenceOptions options, TimeSpan duration)
    {
        // Layer one multiplies [input, h] (hidden + features), every further layer [h below, h] (2 hidden): as one product.
        var k = model.Hidden + model.Features + ((model.Layers - 1) * 2 * model.Hidden);
        var (rows, m) = (options.MaxBatch, 4 * model.Hidden);
        using var sessionOptions = ExecutionProviders.CreateSessionOptions(options);
        using var session = new InferenceSession(Path.Combine(AppContext.BaseDirectory, "Yardstick", "matmul.onnx"), sessionOptions);
        var random = new Random(1);
        var a = Enumerable.Range(0, rows * k).Select(_ => (float)random.NextDouble()).ToArray();
        var w = Enumerable.Range(0, k * m).Select(_ => (float)random.NextDouble() / k).ToArray();
        var y = new float[rows * m];
        using var aValue = OrtValue.CreateTensorValueFromMemory(a, [rows, k]);
        using var wValue = OrtValue.CreateTensorValueFromMemory(w, [k, m]);
        using var yValue = OrtValue.CreateTensorValueFromMemory(y, [rows, m]);
        using var runOptions = new RunOptions();
        string[] inputs = ["a", "w"], outputs = ["y"];
        OrtValue[] inputValues = [aValue, wValue], outputValues = [yValue];

        long calls = 0;
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < duration)
        {
            session.Run(runOptions, inputs, inputValues, outputs, outputValues);
            calls++;
        }

        return calls * rows / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }
}
