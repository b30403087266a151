using System.Text.Json;
using System.Text.Json.Serialization;

namespace Forecast.Inference.Onnx;

/// <summary>Inputs and the training framework's outputs for them, written when the model was exported.</summary>
internal sealed record GoldenVectors(IReadOnlyList<GoldenVectors.Case> Cases)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    public static GoldenVectors Read(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<GoldenVectors>(stream, Json)
                ?? throw new ModelValidationException($"{path}: the golden vectors file is empty.");
        }
        catch (JsonException exception)
        {
            throw new ModelValidationException($"{path}: the golden vectors are not valid JSON: {exception.Message}", exception);
        }
    }

    /// <summary>One case; the state tensors are present for stateful-step models only.</summary>
    internal sealed record Case(
        float[] X, long[] XShape,
        float[] Yhat, long[] YhatShape,
        float[]? H0 = null, long[]? H0Shape = null,
        float[]? C0 = null, long[]? C0Shape = null,
        float[]? Hn = null, long[]? HnShape = null,
        float[]? Cn = null, long[]? CnShape = null);
}
