using System.Text.Json;

namespace Forecast.Inference.Onnx;

/// <summary>Inputs and the training framework's outputs for them, written when the model was exported.</summary>
internal sealed record GoldenVectors(IReadOnlyList<GoldenVectors.Case> Cases)
{
    public static GoldenVectors Read(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<GoldenVectors>(stream, JsonSerializerOptions.Web)
                ?? throw new ModelValidationException($"{path}: the golden vectors file is empty.");
        }
        catch (JsonException exception)
        {
            throw new ModelValidationException($"{path}: the golden vectors are not valid JSON: {exception.Message}", exception);
        }
    }

    internal sealed record Case(
        float[] X, long[] XShape,
        float[] H0, long[] H0Shape,
        float[] C0, long[] C0Shape,
        float[] Yhat, long[] YhatShape,
        float[] Hn, long[] HnShape,
        float[] Cn, long[] CnShape);
}
