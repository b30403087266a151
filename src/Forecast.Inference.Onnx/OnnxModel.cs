using System.Xml;
using Forecast.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace Forecast.Inference.Onnx;

/// <summary>
/// A model that passed validation, with the one <see cref="InferenceSession"/> every caller shares.
/// Loading checks the manifest against the graph (signature, tensor names, shapes, element types,
/// opset), reproduces the golden vectors and runs a burst of random inputs; a model failing any check
/// is refused with <see cref="ModelValidationException"/>. The serving path and
/// <c>forecast models validate</c> both load through here.
/// </summary>
public sealed class OnnxModel : IDisposable
{
    /// <summary>Largest absolute difference from the golden outputs that still counts as reproduced.</summary>
    public const float GoldenTolerance = 1e-4f;

    /// <summary>Lowest ONNX opset (default domain) a served model may use.</summary>
    public const int MinOpset = 11;

    /// <summary>Highest ONNX opset (default domain) a served model may use.</summary>
    public const int MaxOpset = 21;

    /// <summary>Rows of each random-input call of the validation burst.</summary>
    internal const int BurstRows = 64;

    private const long MaxModelBytes = 1L << 30;

    private readonly List<string> _report = [];

    private OnnxModel(InferenceSession session, ModelManifest manifest, ModelDescriptor descriptor, string directory, bool onCpu)
    {
        Session = session;
        OnCpu = onCpu;
        Manifest = manifest;
        Descriptor = descriptor;
        Directory = directory;
        if (descriptor.Signature == ModelSignature.Window)
        {
            InputNames = [manifest.Inputs.X];
            OutputNames = [manifest.Outputs.Yhat];
        }
        else
        {
            InputNames = [manifest.Inputs.X, manifest.Inputs.H0!, manifest.Inputs.C0!];
            OutputNames = [manifest.Outputs.Yhat, manifest.Outputs.Hn!, manifest.Outputs.Cn!];
        }
    }

    /// <summary>What sensors need to know about this model.</summary>
    public ModelDescriptor Descriptor { get; }

    /// <summary>The folder the model was loaded from.</summary>
    public string Directory { get; }

    /// <summary>Golden vectors the model reproduced when it was loaded.</summary>
    public int GoldenCases { get; private set; }

    internal InferenceSession Session { get; }

    /// <summary>Whether the session runs on the CPU, where bound inputs are read in place at every call.</summary>
    internal bool OnCpu { get; }

    internal ModelManifest Manifest { get; }

    internal string[] InputNames { get; }

    internal string[] OutputNames { get; }

    /// <summary>One line per check the model passed, in order (what <c>forecast models validate</c> prints).</summary>
    internal IReadOnlyList<string> ValidationReport => _report;

    /// <summary>Loads and validates the model in <paramref name="directory"/>.</summary>
    /// <exception cref="ModelValidationException">The model must not be served; the message says why.</exception>
    public static OnnxModel Load(string directory, OnnxInferenceOptions options)
    {
        var model = Open(directory, options);
        try
        {
            model.CheckOpset(Path.Combine(directory, "model.onnx"));
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
        return new OnnxModel(
            CreateSession(modelPath, options), manifest, descriptor, directory, options.ExecutionProvider.Equals("cpu", StringComparison.OrdinalIgnoreCase));
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

        var signature = m.Signature switch
        {
            ModelManifest.StatefulStep => ModelSignature.StatefulStep,
            ModelManifest.WindowSignature => ModelSignature.Window,
            _ => throw new ModelValidationException(
                $"{path}: signature '{m.Signature}' is not served; use '{ModelManifest.StatefulStep}' or '{ModelManifest.WindowSignature}'."),
        };
        Require(!string.IsNullOrWhiteSpace(m.Name) && !string.IsNullOrWhiteSpace(m.Version), "name and version are required.");
        Require(m.Features.Count == 1, $"{m.Features.Count} features declared; the serving path feeds one (the reading's value).");
        Require(m.Horizon >= 1, "horizon must be at least 1.");
        if (signature == ModelSignature.StatefulStep)
        {
            Require(m.Layers >= 1 && m.Hidden >= 1, "layers and hidden must be at least 1 for a stateful-step model.");
            Require(m.Inputs.H0 is not null && m.Inputs.C0 is not null && m.Outputs.Hn is not null && m.Outputs.Cn is not null,
                "a stateful-step model names inputs x, h0, c0 and outputs yhat, hn, cn.");
        }
        else
        {
            Require(m.Inputs.H0 is null && m.Inputs.C0 is null && m.Outputs.Hn is null && m.Outputs.Cn is null,
                "a window model has one input (x) and one output (yhat); remove h0, c0, hn and cn or use the stateful-step signature.");
            Require(m.Window >= 1, "window must be at least 1 for a window model.");
        }

        Require(m.Normalisation.Warmup >= 2, "normalisation.warmup must be at least 2 readings.");
        Require(signature == ModelSignature.Window || m.Window >= m.Normalisation.Warmup, "window must be at least normalisation.warmup.");
        Require(m.Normalisation.Clip > 0 && m.Normalisation.MinScale > 0, "normalisation.clip and normalisation.minScale must be positive.");
        Require(m.Interval.ResidualStd.Count == m.Horizon, $"interval.residualStd has {m.Interval.ResidualStd.Count} entries; the horizon is {m.Horizon}.");
        Require(m.Interval.ResidualStd.All(s => double.IsFinite(s) && s > 0), "interval.residualStd entries must be positive and finite.");
        Require(m.Interval.Level is > 0 and < 1 && m.Interval.Z > 0, "interval.level must be in (0, 1) and interval.z positive.");
        Require(m.Opset is >= MinOpset and <= MaxOpset, $"opset {m.Opset} is outside the served range {MinOpset} to {MaxOpset}.");

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
        var stateful = signature == ModelSignature.StatefulStep;
        return new ModelDescriptor(
            m.Name, m.Version, m.Features.Count, stateful ? m.Layers : 0, stateful ? m.Hidden : 0, m.Horizon, m.Window,
            m.Normalisation.Warmup, interval, m.Normalisation.MinScale, m.Normalisation.RelativeMinScale, m.Normalisation.Clip,
            m.Interval.Level, m.Interval.Z, m.Interval.ResidualStd, signature);
    }

    /// <summary>The graph's default-domain opset must be the manifest's.</summary>
    private void CheckOpset(string modelPath)
    {
        var opset = OnnxOpset.Read(modelPath);
        if (opset != Manifest.Opset)
        {
            throw new ModelValidationException(
                $"{modelPath} imports opset {(opset is { } o ? o.ToString(System.Globalization.CultureInfo.InvariantCulture) : "none")} of the default ONNX domain; the manifest says {Manifest.Opset}.");
        }

        _report.Add($"opset {opset} matches the manifest (served range {MinOpset} to {MaxOpset})");
    }

    private void CheckGraph()
    {
        var d = Descriptor;
        if (d.Signature == ModelSignature.Window)
        {
            CheckTensor(Session.InputMetadata, InputNames[0], "input", [-1, d.Window, d.Features]);
            CheckTensor(Session.OutputMetadata, OutputNames[0], "output", [-1, d.Horizon]);
            ExpectOnly(Session.InputMetadata, InputNames, "inputs");
            ExpectOnly(Session.OutputMetadata, OutputNames, "outputs");
            _report.Add($"window signature: {InputNames[0]}[batch, {d.Window}, {d.Features}] -> {OutputNames[0]}[batch, {d.Horizon}]");
            return;
        }

        CheckTensor(Session.InputMetadata, InputNames[0], "input", [-1, -1, d.Features]);
        CheckTensor(Session.InputMetadata, InputNames[1], "input", [d.Layers, -1, d.Hidden]);
        CheckTensor(Session.InputMetadata, InputNames[2], "input", [d.Layers, -1, d.Hidden]);
        CheckTensor(Session.OutputMetadata, OutputNames[0], "output", [-1, d.Horizon]);
        CheckTensor(Session.OutputMetadata, OutputNames[1], "output", [d.Layers, -1, d.Hidden]);
        CheckTensor(Session.OutputMetadata, OutputNames[2], "output", [d.Layers, -1, d.Hidden]);
        ExpectOnly(Session.InputMetadata, InputNames, "inputs");
        ExpectOnly(Session.OutputMetadata, OutputNames, "outputs");
        _report.Add(
            $"stateful-step signature: {InputNames[0]}[batch, time, {d.Features}], {InputNames[1]}/{InputNames[2]}[{d.Layers}, batch, {d.Hidden}] -> " +
            $"{OutputNames[0]}[batch, {d.Horizon}], {OutputNames[1]}/{OutputNames[2]}[{d.Layers}, batch, {d.Hidden}]");
    }

    /// <summary>The graph must not need inputs (or promise outputs) the manifest does not name.</summary>
    private static void ExpectOnly(IReadOnlyDictionary<string, NodeMetadata> metadata, string[] names, string kind)
    {
        var extra = metadata.Keys.Except(names).ToArray();
        if (extra.Length > 0)
        {
            throw new ModelValidationException(
                $"The graph has {kind} the manifest does not name: {string.Join(", ", extra)} (the manifest names {string.Join(", ", names)}).");
        }
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
        if (kind == "output" && expected.Length == 2 && actual.Length == 3)
        {
            throw new ModelValidationException(
                $"The output '{name}' has shape [{string.Join(", ", actual)}]: quantile outputs [batch, horizon, q] are not served; export the mean forecast as [batch, horizon] and calibrate the interval (interval.residualStd).");
        }

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

        GoldenCases = golden.Cases.Count;

        var worst = 0f;
        for (var i = 0; i < golden.Cases.Count; i++)
        {
            var error = GoldenError(golden.Cases[i], i, path);
            if (!(error <= GoldenTolerance))
            {
                throw new ModelValidationException(
                    $"Golden case {i} of {path} is not reproduced: max abs error {error:G3} exceeds {GoldenTolerance:G1}. The model file and its golden vectors do not belong together.");
            }

            worst = MathF.Max(worst, error);
        }

        _report.Add($"golden vectors: {golden.Cases.Count} cases reproduced, max abs error {worst:G3} (tolerance {GoldenTolerance:G1})");
    }

    /// <summary>Runs one golden case and returns the largest absolute difference over all outputs.</summary>
    internal float GoldenError(GoldenVectors.Case c) => GoldenError(c, 0, Manifest.Golden);

    private float GoldenError(GoldenVectors.Case c, int index, string path)
    {
        var stateful = Descriptor.Signature == ModelSignature.StatefulStep;
        float[][] inputs = stateful ? [c.X, Need(c.H0, "h0"), Need(c.C0, "c0")] : [c.X];
        long[][] shapes = stateful ? [c.XShape, Need(c.H0Shape, "h0Shape"), Need(c.C0Shape, "c0Shape")] : [c.XShape];
        float[][] expected = stateful ? [c.Yhat, Need(c.Hn, "hn"), Need(c.Cn, "cn")] : [c.Yhat];
        for (var i = 0; i < inputs.Length; i++)
        {
            if (shapes[i].Aggregate(1L, (a, b) => a * b) != inputs[i].Length)
            {
                throw new ModelValidationException(
                    $"Golden case {index} of {path}: input '{InputNames[i]}' holds {inputs[i].Length} values but its shape is [{string.Join(", ", shapes[i])}].");
            }
        }

        if (!stateful && (c.XShape.Length != 3 || c.XShape[1] != Descriptor.Window))
        {
            throw new ModelValidationException(
                $"Golden case {index} of {path}: x has shape [{string.Join(", ", c.XShape)}]; a window model takes [batch, {Descriptor.Window}, {Descriptor.Features}].");
        }

        var values = new OrtValue[inputs.Length];
        try
        {
            for (var i = 0; i < inputs.Length; i++)
            {
                values[i] = OrtValue.CreateTensorValueFromMemory(inputs[i], shapes[i]);
            }

            using var runOptions = new RunOptions();
            using var outputs = Session.Run(runOptions, InputNames, values, OutputNames);
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
        catch (OnnxRuntimeException exception)
        {
            throw new ModelValidationException($"Golden case {index} of {path} cannot run: {exception.Message}", exception);
        }
        finally
        {
            foreach (var value in values)
            {
                value?.Dispose();
            }
        }

        T Need<T>(T? value, string name) where T : class =>
            value ?? throw new ModelValidationException($"Golden case {index} of {path} has no '{name}'; a stateful-step case records x, h0, c0, yhat, hn and cn.");
    }

    private void CheckFiniteOnRandomInputs()
    {
        var random = new Random(20261129);
        var d = Descriptor;
        int[] times = d.Signature == ModelSignature.Window ? [d.Window] : [1, d.Warmup];
        using var runner = new StepRunner(this, BurstRows, times.Max());
        foreach (var time in times)
        {
            runner.Prepare(BurstRows, time);
            for (var b = 0; b < BurstRows; b++)
            {
                var inputs = runner.Inputs(b);
                for (var i = 0; i < inputs.Length; i++)
                {
                    inputs[i] = (float)((random.NextDouble() * 2) - 1) * (float)d.Clip;
                }

                var state = new float[d.StateSize];
                for (var i = 0; i < state.Length; i++)
                {
                    state[i] = (float)((random.NextDouble() * 2) - 1);
                }

                runner.SetState(b, state);
            }

            runner.Run();
            for (var b = 0; b < BurstRows; b++)
            {
                if (!runner.IsFinite(b))
                {
                    throw new ModelValidationException(
                        $"The model gives non-finite outputs for bounded random inputs (time {time}); it must not be served.");
                }
            }
        }

        _report.Add($"random burst: {times.Length * BurstRows} rows of inputs in [-{d.Clip}, {d.Clip}] give finite outputs");
    }
}
