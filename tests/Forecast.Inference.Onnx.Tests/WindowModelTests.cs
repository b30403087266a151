using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;

namespace Forecast.Inference.Onnx.Tests;

public sealed class WindowModelTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Readings per call of the shipped window model (its manifest's and graph's window).</summary>
    private const int Window = 160;

    [Fact]
    public void Load_DescribesAWindowModel_WithNoState()
    {
        using var model = WindowModel.Load();
        var d = model.Descriptor;

        Assert.Equal(ModelSignature.Window, d.Signature);
        Assert.Equal((Window, 12, 48), (d.Window, d.Horizon, d.Warmup));
        Assert.Equal(0, d.StateSize);
        Assert.Equal(["x"], model.InputNames);
        Assert.Equal(["yhat"], model.OutputNames);
        Assert.Equal(4, model.ValidationReport.Count);
        Assert.Contains(model.ValidationReport, line => line.StartsWith("golden vectors: 2 cases reproduced", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StepAsync_BatchesWindowCalls_AndMatchesOneCallEach()
    {
        using var model = WindowModel.Load();
        await using var forecaster = new BatchingForecaster(model, BundledModel.Options(maxBatch: 16), NullLogger<BatchingForecaster>.Instance);
        var random = new Random(5);
        var windows = Enumerable.Range(0, 40).Select(_ => Enumerable.Range(0, Window).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray()).ToArray();
        var forecasts = windows.Select(_ => new float[12]).ToArray();

        await Task.WhenAll(windows.Select((w, i) => forecaster.StepAsync(w, Memory<float>.Empty, forecasts[i]).AsTask())).WaitAsync(Patience);

        using var runner = new StepRunner(model, 1, Window);
        for (var i = 0; i < windows.Length; i++)
        {
            runner.Prepare(1, Window);
            windows[i].CopyTo(runner.Inputs(0));
            runner.Run();
            var single = new float[12];
            runner.CopyOutputs(0, [], single);
            Assert.All(single.Zip(forecasts[i]), p => Assert.Equal(p.First, p.Second, 1e-5f));
        }

        Assert.InRange(forecaster.Statistics.Batches, 3, 39);
    }

    [Fact]
    public async Task StepAsync_RefusesAWindowOfTheWrongLength()
    {
        using var model = WindowModel.Load();
        await using var forecaster = new BatchingForecaster(model, BundledModel.Options(), NullLogger<BatchingForecaster>.Instance);

        var error = Assert.Throws<ArgumentException>(() => { _ = forecaster.StepAsync(new float[Window - 1], Memory<float>.Empty, new float[12]); });
        Assert.Contains($"takes exactly {Window}", error.Message);
    }

    [Fact]
    public void Load_RefusesAWindowThatDisagreesWithTheGraph()
    {
        var folder = WindowModel.CopyToTemp();
        EditManifest(folder, m => m["window"] = 32);

        var error = Assert.Throws<ModelValidationException>(() => OnnxModel.Load(folder, BundledModel.Options()));
        Assert.Contains($"The input 'x' has shape [-1, {Window}, 1]; the manifest implies [?, 32, 1]", error.Message);
    }

    [Fact]
    public void Load_RefusesAWindowManifestThatNamesStateTensors()
    {
        var folder = WindowModel.CopyToTemp();
        EditManifest(folder, m => m["inputs"]!["h0"] = "h0");

        var error = Assert.Throws<ModelValidationException>(() => OnnxModel.Load(folder, BundledModel.Options()));
        Assert.Contains("a window model has one input (x) and one output (yhat)", error.Message);
    }

    [Fact]
    public void Load_RefusesTheWrongSignature()
    {
        var folder = WindowModel.CopyToTemp();
        EditManifest(folder, m =>
        {
            m["signature"] = "stateful-step";
            m["inputs"] = new JsonObject { ["x"] = "x", ["h0"] = "h0", ["c0"] = "c0" };
            m["outputs"] = new JsonObject { ["yhat"] = "yhat", ["hn"] = "hn", ["cn"] = "cn" };
            m["layers"] = 1;
            m["hidden"] = 32;
        });

        var error = Assert.Throws<ModelValidationException>(() => OnnxModel.Load(folder, BundledModel.Options()));
        Assert.Contains("no input named 'h0'", error.Message);
    }

    [Fact]
    public void Load_RefusesAnUnknownSignature()
    {
        var folder = WindowModel.CopyToTemp();
        EditManifest(folder, m => m["signature"] = "seq2seq");

        var error = Assert.Throws<ModelValidationException>(() => OnnxModel.Load(folder, BundledModel.Options()));
        Assert.Contains("signature 'seq2seq' is not served; use 'stateful-step' or 'window'", error.Message);
    }

    [Theory]
    [InlineData(13, "imports opset 14 of the default ONNX domain; the manifest says 13")]
    [InlineData(9, "opset 9 is outside the served range 11 to 21")]
    public void Load_RefusesAnOpsetTheGraphDoesNotImport(int opset, string message)
    {
        var folder = WindowModel.CopyToTemp();
        EditManifest(folder, m => m["opset"] = opset);

        var error = Assert.Throws<ModelValidationException>(() => OnnxModel.Load(folder, BundledModel.Options()));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Load_RefusesGoldenCasesOfTheWrongWindow()
    {
        var folder = WindowModel.CopyToTemp();
        var path = Path.Combine(folder, "golden.json");
        var golden = JsonNode.Parse(File.ReadAllText(path))!;
        var first = golden["cases"]![0]!;
        first["x"] = new JsonArray([.. first["x"]!.AsArray().Take(3 * 32).Select(v => (JsonNode?)v!.GetValue<double>())]);
        first["xShape"] = new JsonArray(3, 32, 1);
        File.WriteAllText(path, golden.ToJsonString());

        var error = Assert.Throws<ModelValidationException>(() => OnnxModel.Load(folder, BundledModel.Options()));
        Assert.Contains($"x has shape [3, 32, 1]; a window model takes [batch, {Window}, 1]", error.Message);
    }

    [Fact]
    public void Load_RefusesStatefulGoldenCasesWithoutState()
    {
        var folder = BundledModel.CopyToTemp();
        var path = Path.Combine(folder, "golden.json");
        var golden = JsonNode.Parse(File.ReadAllText(path))!;
        golden["cases"]![0]!.AsObject().Remove("h0");
        File.WriteAllText(path, golden.ToJsonString());

        var error = Assert.Throws<ModelValidationException>(() => OnnxModel.Load(folder, BundledModel.Options()));
        Assert.Contains("has no 'h0'", error.Message);
    }

    private static void EditManifest(string folder, Action<JsonNode> edit)
    {
        var path = Path.Combine(folder, "manifest.json");
        var manifest = JsonNode.Parse(File.ReadAllText(path))!;
        edit(manifest);
        File.WriteAllText(path, manifest.ToJsonString());
    }
}
