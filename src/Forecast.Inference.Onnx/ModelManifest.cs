using System.Text.Json;
using System.Text.Json.Serialization;

namespace Forecast.Inference.Onnx;

/// <summary>The <c>manifest.json</c> shipped next to a model (see <c>onnx/README.md</c>).</summary>
internal sealed record ModelManifest(
    string Name,
    string Version,
    string Signature,
    ModelManifest.InputNames Inputs,
    ModelManifest.OutputNames Outputs,
    IReadOnlyList<string> Features,
    int Horizon,
    int Window,
    string SamplingInterval,
    int Opset,
    ModelManifest.NormalisationSpec Normalisation,
    ModelManifest.IntervalSpec Interval,
    string Golden,
    int Layers = 0,
    int Hidden = 0)
{
    public const string StatefulStep = "stateful-step";

    public const string WindowSignature = "window";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    public static ModelManifest Read(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<ModelManifest>(stream, Json)
                ?? throw new ModelValidationException($"{path}: the manifest is empty.");
        }
        catch (JsonException exception)
        {
            throw new ModelValidationException($"{path}: the manifest is not valid: {exception.Message}", exception);
        }
    }

    /// <summary>The graph's input tensor names; the state tensors only for the stateful-step signature.</summary>
    internal sealed record InputNames(string X, string? H0 = null, string? C0 = null);

    /// <summary>The graph's output tensor names; the state tensors only for the stateful-step signature.</summary>
    internal sealed record OutputNames(string Yhat, string? Hn = null, string? Cn = null);

    internal sealed record NormalisationSpec(string Method, int Warmup, double MinScale, double RelativeMinScale, double Clip);

    internal sealed record IntervalSpec(string Method, double Level, double Z, IReadOnlyList<double> ResidualStd);
}

/// <summary>A model, manifest or golden vector that must not be served, with the reason.</summary>
public sealed class ModelValidationException : Exception
{
    /// <summary>Creates the exception with the reason.</summary>
    public ModelValidationException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with the reason and its cause.</summary>
    public ModelValidationException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
