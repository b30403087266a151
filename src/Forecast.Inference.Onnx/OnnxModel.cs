using System.Xml;
using Forecast.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace Forecast.Inference.Onnx;

/// <summary>
/// A model that passed validation, with the one <see cref="InferenceSession"/> every caller shares.
/// Loading checks the manifest against the graph, reproduces the golden vectors and runs a burst of
/// random inputs; a model failing any check is refused with <see cref="ModelValidationException"/>.
/// </summary>
public sealed class OnnxModel : IDisposable
{
    /// <summary>Largest absolute difference from the golden outputs that still counts as reproduced.</summary>
    public const float GoldenTolerance = 1e-4f;

    private const long MaxModelBytes = 1L << 30;

    private OnnxModel(InferenceSession session, ModelManifest manifest, ModelDescriptor descriptor, string directory)
    {
        Session = session;
        Manifest = manifest;
        Descriptor = descriptor;
        Directory = directory;
        InputNames = [manifest.Inputs.X, manifest.Inputs.H0, manifest.Inputs.C0];
        OutputNames = [manifest.Outputs.Yhat, manifest.Outputs.Hn, manifest.Outputs.Cn];
    }

    /// <summary>What sensors need to know about this model.</summary>
    public ModelDescriptor Descriptor { get; }

    /// <summary>The folder the model was loaded from.</summary>
    public string Directory { get; }

    internal InferenceSession Session { get; }

    internal ModelManifest Manifest { get; }

    internal string[] InputNames { get; }

    internal string[] OutputNames { get; }

    /// <summary>Loads and validates the model in <paramref name="directory"/>.</summary>
    /// <exception cref="ModelValidationException">The model must not be served; the message says why.</exception>
    public static OnnxModel Load(string directory, OnnxInferenceOptions options)
    {
        var model = Open(directory, options);
        try
        {
            model.CheckGraph();
            model.CheckGolden(Path.Combine(directory, model.Manifest.Golden));
            model.CheckFiniteOnRandomInputs();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Reads the manifest and creates the session, without checking the graph or its outputs.</summary>
    internal static OnnxModel Open(string directory, OnnxInferenceOptions options)
    {
        var modelPath = Path.Combine(directory, "model.onnx");
        var manifestPath = Path.Combine(directory, "manifest.json");
        foreach (var path in new[] { modelPath, manifestPath })
        {
            if (!File.Exists(path))
            {
                throw new ModelValidationException($"{path} does not exist; a model folder holds model.onnx, manifest.json and its golden vectors.");
            }
        }

        var size = new FileInfo(modelPath).Length;
        if (size is 0 or > MaxModelBytes)
        {
            throw new ModelValidationException($"{modelPath} is {size} bytes; a model must be between 1 byte and 1 GiB.");
        }

        var manifest = ModelManifest.Read(manifestPath);
        var descriptor = Describe(manifest, manifestPath);
        return new OnnxModel(CreateSession(modelPath, options), manifest, descriptor, directory);
    }

    /// <inheritdoc />
    public void Dispose() => Session.Dispose();

    private static InferenceSession CreateSession(string modelPath, OnnxInferenceOptions options)
    {
        using var sessionOptions = ExecutionProviders.CreateSessionOptions(options);
        try
        {
            return new InferenceSession(modelPath, sessionOptions);
        }
        catch (OnnxRuntimeException exception)
        {
            throw new ModelValidationException($"{modelPath} cannot be loaded by ONNX Runtime: {exception.Message}", exception);
        }
    }

    private static ModelDescriptor Describe(ModelManifest m, string path)
    {
        void Require(bool condition, string problem)
        {
            if (!condition)
            {
                throw new ModelValidationException($"{path}: {problem}");
            }
        }

        Require(m.Signature == ModelManifest.StatefulStep, $"signature '{m.Signature}' is not served; use '{ModelManifest.StatefulStep}'.");
        Require(!string.IsNullOrWhiteSpace(m.Name) && !string.IsNullOrWhiteSpace(m.Version), "name and version are required.");
        Require(m.Features.Count == 1, $"{m.Features.Count} features declared; the serving path feeds one (the reading's value).");
        Require(m.Layers >= 1 && m.Hidden >= 1 && m.Horizon >= 1, "layers, hidden and horizon must be at least 1.");
        Require(m.Normalisation.Warmup >= 2, "normalisation.warmup must be at least 2 readings.");
        Require(m.Window >= m.Normalisation.Warmup, "window must be at least normalisation.warmup.");
        Require(m.Normalisation.Clip > 0 && m.Normalisation.MinScale > 0, "normalisation.clip and normalisation.minScale must be positive.");
        Require(m.Interval.ResidualStd.Count == m.Horizon, $"interval.residualStd has {m.Interval.ResidualStd.Count} entries; the horizon is {m.Horizon}.");
        Require(m.Interval.ResidualStd.All(s => double.IsFinite(s) && s > 0), "interval.residualStd entries must be positive and finite.");
        Require(m.Interval.Level is > 0 and < 1 && m.Interval.Z > 0, "interval.level must be in (0, 1) and interval.z positive.");

        TimeSpan interval;
        try
        {
            interval = XmlConvert.ToTimeSpan(m.SamplingInterval);
        }
        catch (FormatException)
        {
            throw new ModelValidationException($"{path}: samplingInterval '{m.SamplingInterval}' is not an ISO 8601 duration such as PT1M.");
        }

        Require(interval > TimeSpan.Zero, "samplingInterval must be positive.");
        return new ModelDescriptor(
            m.Name, m.Version, m.Features.Count, m.Layers, m.Hidden, m.Horizon, m.Window, m.Normalisation.Warmup, interval,
            m.Normalisation.MinScale, m.Normalisation.RelativeMinScale, m.Normalisation.Clip, m.Interval.Level, m.Interval.Z,
            m.Interval.ResidualStd);
    }

    private void CheckGraph()
    {
        var d = Descriptor;
        CheckTensor(Session.InputMetadata, InputNames[0], "input", [-1, -1, d.Features]);
        CheckTensor(Session.InputMetadata, InputNames[1], "input", [d.Layers, -1, d.Hidden]);
        CheckTensor(Session.InputMetadata, InputNames[2], "input", [d.Layers, -1, d.Hidden]);
        CheckTensor(Session.OutputMetadata, OutputNames[0], "output", [-1, d.Horizon]);
        CheckTensor(Session.OutputMetadata, OutputNames[1], "output", [d.Layers, -1, d.Hidden]);
        CheckTensor(Session.OutputMetadata, OutputNames[2], "output", [d.Layers, -1, d.Hidden]);
    }

    /// <summary>Checks name, element type and shape; -1 in <paramref name="expected"/> means "any size".</summary>
    private static void CheckTensor(IReadOnlyDictionary<string, NodeMetadata> metadata, string name, string kind, int[] expected)
    {
        if (!metadata.TryGetValue(name, out var node))
        {
            throw new ModelValidationException(
                $"The graph has no {kind} named '{name}' (it has: {string.Join(", ", metadata.Keys)}); the manifest and the graph disagree.");
        }

        if (node.ElementType != typeof(float))
        {
            throw new ModelValidationException($"The {kind} '{name}' is {node.ElementType.Name}; float32 is required.");
        }

        var actual = node.Dimensions;
        var fits = actual.Length == expected.Length
            && expected.Zip(actual).All(pair => pair.First == -1 || pair.Second == -1 || pair.First == pair.Second);
        if (!fits)
        {
            throw new ModelValidationException(
                $"The {kind} '{name}' has shape [{string.Join(", ", actual)}]; the manifest implies [{string.Join(", ", expected.Select(e => e == -1 ? "?" : e.ToString(System.Globalization.CultureInfo.InvariantCulture)))}].");
        }
    }

    private void CheckGolden(string path)
    {
        if (!File.Exists(path))
        {
            throw new ModelValidationException($"{path} does not exist; the manifest's 'golden' must name the golden vectors file.");
        }

        var golden = GoldenVectors.Read(path);
        if (golden.Cases.Count == 0)
        {
            throw new ModelValidationException($"{path} holds no cases.");
        }

        for (var i = 0; i < golden.Cases.Count; i++)
        {
            var error = GoldenError(golden.Cases[i]);
            if (!(error <= GoldenTolerance))
            {
                throw new ModelValidationException(
                    $"Golden case {i} of {path} is not reproduced: max abs error {error:G3} exceeds {GoldenTolerance:G1}. The model file and its golden vectors do not belong together.");
            }
        }
    }

    /// <summary>Runs one golden case and returns the largest absolute difference over all outputs.</summary>
    internal float GoldenError(GoldenVectors.Case c)
    {
        using var x = OrtValue.CreateTensorValueFromMemory(c.X, c.XShape);
        using var h0 = OrtValue.CreateTensorValueFromMemory(c.H0, c.H0Shape);
        using var c0 = OrtValue.CreateTensorValueFromMemory(c.C0, c.C0Shape);
        using var runOptions = new RunOptions();
        using var outputs = Session.Run(runOptions, InputNames, [x, h0, c0], OutputNames);
        float[][] expected = [c.Yhat, c.Hn, c.Cn];
        var error = 0f;
        for (var o = 0; o < expected.Length; o++)
        {
            var actual = outputs[o].GetTensorDataAsSpan<float>();
            if (actual.Length != expected[o].Length)
            {
                return float.PositiveInfinity;
            }

            for (var i = 0; i < actual.Length; i++)
            {
                error = MathF.Max(error, MathF.Abs(actual[i] - expected[o][i]));
            }
        }

        return error;
    }

    private void CheckFiniteOnRandomInputs()
    {
        var random = new Random(20261129);
        using var runner = new StepRunner(this, 64, Descriptor.Warmup);
        foreach (var time in new[] { 1, Descriptor.Warmup })
        {
            runner.Prepare(64, time);
            for (var b = 0; b < 64; b++)
            {
                var inputs = runner.Inputs(b);
                for (var i = 0; i < inputs.Length; i++)
                {
                    inputs[i] = (float)((random.NextDouble() * 2) - 1) * (float)Descriptor.Clip;
                }

                var state = new float[Descriptor.StateSize];
                for (var i = 0; i < state.Length; i++)
                {
                    state[i] = (float)((random.NextDouble() * 2) - 1);
                }

                runner.SetState(b, state);
            }

            runner.Run();
            for (var b = 0; b < 64; b++)
            {
                if (!runner.IsFinite(b))
                {
                    throw new ModelValidationException(
                        $"The model gives non-finite outputs for bounded random inputs (time {time}); it must not be served.");
                }
            }
        }
    }
}
