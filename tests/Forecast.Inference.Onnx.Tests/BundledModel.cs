namespace Forecast.Inference.Onnx.Tests;

/// <summary>The model shipped in <c>onnx/models/default</c>, copied next to the tests.</summary>
internal static class BundledModel
{
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "models", "default");

    public static OnnxInferenceOptions Options(int maxBatch = 256) => new() { ModelDirectory = Directory, MaxBatch = maxBatch };

    public static OnnxModel Load() => OnnxModel.Load(Directory, Options());

    /// <summary>A private copy of the bundled model folder that a test may damage.</summary>
    public static string CopyToTemp() => CopyToTemp(Directory);

    /// <summary>A private copy of a model folder that a test may damage.</summary>
    public static string CopyToTemp(string source)
    {
        var target = Path.Combine(Path.GetTempPath(), "forecast-model-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(target);
        foreach (var file in System.IO.Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        return target;
    }
}

/// <summary>The second shipped model, <c>onnx/models/gru-window</c>: a GRU exported with the window signature.</summary>
internal static class WindowModel
{
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "models", "gru-window");

    public static OnnxModel Load() => OnnxModel.Load(Directory, BundledModel.Options());

    /// <summary>A private copy of the window model folder that a test may damage.</summary>
    public static string CopyToTemp() => BundledModel.CopyToTemp(Directory);
}

/// <summary>Broken models made by <c>onnx/testing/make_faulty_models.py</c>, committed with the tests.</summary>
internal static class FaultyModels
{
    /// <summary>The bundled graph with its forecast multiplied by NaN.</summary>
    public static string NanOutput { get; } = Path.Combine(AppContext.BaseDirectory, "models", "nan-output");
}
