using System.Text.Json.Nodes;

namespace Forecast.Inference.Onnx.Tests;

public sealed class OnnxModelTests
{
    [Fact]
    public void Load_ReproducesThePyTorchGoldenVectors()
    {
        using var model = BundledModel.Load();
        var golden = GoldenVectors.Read(Path.Combine(BundledModel.Directory, model.Manifest.Golden));

        Assert.NotEmpty(golden.Cases);
        Assert.All(golden.Cases, c => Assert.InRange(model.GoldenError(c), 0, 1e-4f));
    }

    [Fact]
    public void Load_DescribesTheModelFromItsManifest()
    {
        using var model = BundledModel.Load();
        var d = model.Descriptor;

        Assert.Equal("lstm-default@2", d.Id);
        Assert.Equal((1, 1, 64, 12), (d.Features, d.Layers, d.Hidden, d.Horizon));
        Assert.Equal(2 * 64, d.StateSize);
        Assert.Equal(12, d.ResidualStd.Count);
        Assert.True(new FileInfo(Path.Combine(BundledModel.Directory, "model.onnx")).Length < 4 << 20);
    }

    [Fact]
    public void Load_RefusesACorruptModelFile()
    {
        var folder = BundledModel.CopyToTemp();
        File.WriteAllBytes(Path.Combine(folder, "model.onnx"), [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 7))]);

        var error = Assert.Throws<ModelValidationException>(() => OnnxModel.Load(folder, BundledModel.Options()));
        Assert.Contains("cannot be loaded by ONNX Runtime", error.Message);
    }

    [Fact]
    public void Load_RefusesAManifestThatDisagreesWithTheGraph()
    {
        var folder = BundledModel.CopyToTemp();
        EditManifest(folder, m => m["hidden"] = 16);

        var error = Assert.Throws<ModelValidationException>(() => OnnxModel.Load(folder, BundledModel.Options()));
        Assert.Contains("has shape", error.Message);
    }

    [Fact]
    public void Load_RefusesATensorNameTheGraphDoesNotHave()
    {
        var folder = BundledModel.CopyToTemp();
        EditManifest(folder, m => m["outputs"]!["yhat"] = "forecast");

        var error = Assert.Throws<ModelValidationException>(() => OnnxModel.Load(folder, BundledModel.Options()));
        Assert.Contains("no output named 'forecast'", error.Message);
    }

    [Fact]
    public void Load_RefusesGoldenVectorsItDoesNotReproduce()
    {
        var folder = BundledModel.CopyToTemp();
        var path = Path.Combine(folder, "golden.json");
        var golden = JsonNode.Parse(File.ReadAllText(path))!;
        var yhat = golden["cases"]![0]!["yhat"]!.AsArray();
        yhat[0] = yhat[0]!.GetValue<double>() + 0.01;
        File.WriteAllText(path, golden.ToJsonString());

        var error = Assert.Throws<ModelValidationException>(() => OnnxModel.Load(folder, BundledModel.Options()));
        Assert.Contains("Golden case 0", error.Message);
    }

    [Fact]
    public void Load_RefusesAModelWhoseOutputsAreNotFinite()
    {
        var error = Assert.Throws<ModelValidationException>(() => OnnxModel.Load(FaultyModels.NanOutput, BundledModel.Options()));
        Assert.Contains("Golden case 0", error.Message);
    }

    [Theory]
    [InlineData("manifest.json", "does not exist")]
    [InlineData("model.onnx", "does not exist")]
    [InlineData("golden.json", "does not exist")]
    public void Load_RefusesAnIncompleteFolder(string missing, string message)
    {
        var folder = BundledModel.CopyToTemp();
        File.Delete(Path.Combine(folder, missing));

        var error = Assert.Throws<ModelValidationException>(() => OnnxModel.Load(folder, BundledModel.Options()));
        Assert.Contains(message, error.Message);
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("{\"name\":\"x\"}")]
    public void Load_RefusesAnInvalidManifest(string text)
    {
        var folder = BundledModel.CopyToTemp();
        File.WriteAllText(Path.Combine(folder, "manifest.json"), text);

        var error = Assert.Throws<ModelValidationException>(() => OnnxModel.Load(folder, BundledModel.Options()));
        Assert.Contains("manifest is not valid", error.Message);
    }

    [Fact]
    public void Load_RefusesResidualScalesThatDoNotMatchTheHorizon()
    {
        var folder = BundledModel.CopyToTemp();
        EditManifest(folder, m => m["interval"]!["residualStd"] = new JsonArray(0.1, 0.2));

        var error = Assert.Throws<ModelValidationException>(() => OnnxModel.Load(folder, BundledModel.Options()));
        Assert.Contains("residualStd has 2 entries", error.Message);
    }

    private static void EditManifest(string folder, Action<JsonNode> edit)
    {
        var path = Path.Combine(folder, "manifest.json");
        var manifest = JsonNode.Parse(File.ReadAllText(path))!;
        edit(manifest);
        File.WriteAllText(path, manifest.ToJsonString());
    }
}
