using System.Text.Json.Nodes;
using Forecast.Host.Verbs;

namespace Forecast.Host.Tests;

public sealed class ModelsVerbTests
{
    private static readonly string Bundled = Path.Combine(AppContext.BaseDirectory, "models", "default");

    [Fact]
    public void Validate_PrintsEveryCheck_ForTheBundledModel()
    {
        var (exitCode, stdout, stderr) = Validate(Bundled);

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("model lstm-default@2", stdout);
        Assert.Contains("ok  opset 14 matches the manifest", stdout);
        Assert.Contains("ok  stateful-step signature: x[batch, time, 1], h0/c0[1, batch, 64]", stdout);
        Assert.Contains("ok  golden vectors: 3 cases reproduced", stdout);
        Assert.Contains("ok  random burst:", stdout);
        Assert.Contains("valid: this model can be served", stdout);
    }

    [Fact]
    public void Validate_AcceptsTheShippedWindowModel()
    {
        var (exitCode, stdout, stderr) = Validate(RepositoryFile("onnx", "models", "gru-window"));

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("ok  window signature: x[batch, 160, 1] -> yhat[batch, 12]", stdout);
    }

    [Fact]
    public void Validate_ExitsWithTheReason_WhenTheManifestDisagreesWithTheGraph()
    {
        var folder = CopyOf(Bundled);
        var path = Path.Combine(folder, "manifest.json");
        var manifest = JsonNode.Parse(File.ReadAllText(path))!;
        manifest["horizon"] = 24;
        manifest["interval"]!["residualStd"] = new JsonArray([.. Enumerable.Range(0, 24).Select(_ => (JsonNode?)0.5)]);
        File.WriteAllText(path, manifest.ToJsonString());

        var (exitCode, stdout, stderr) = Validate(folder);

        Assert.Equal(ModelsVerb.Invalid, exitCode);
        Assert.Contains("invalid: The output 'yhat' has shape [-1, 12]; the manifest implies [?, 24]", stderr);
        Assert.DoesNotContain("valid: this model", stdout);
    }

    [Fact]
    public void Validate_ExitsWithTheReason_WhenTheModelFileIsCorrupt()
    {
        var folder = CopyOf(Bundled);
        var model = Path.Combine(folder, "model.onnx");
        File.WriteAllBytes(model, File.ReadAllBytes(model)[..1000]);

        var (exitCode, _, stderr) = Validate(folder);

        Assert.Equal(ModelsVerb.Invalid, exitCode);
        Assert.Contains("cannot be loaded by ONNX Runtime", stderr);
    }

    [Fact]
    public void Validate_ExitsWithTheReason_WhenTheFolderDoesNotExist()
    {
        var (exitCode, _, stderr) = Validate("/nonexistent/model");

        Assert.Equal(ModelsVerb.Invalid, exitCode);
        Assert.Contains("/nonexistent/model is not a folder", stderr);
    }

    /// <summary>A file of this repository, found by walking up from the test binaries to <c>Forecast.sln</c>.</summary>
    internal static string RepositoryFile(params string[] parts) => RepositoryFiles.Find(parts);

    internal static string CopyOf(string directory)
    {
        var target = Path.Combine(Path.GetTempPath(), "forecast-models-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(directory))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        return target;
    }

    private static (int ExitCode, string Stdout, string Stderr) Validate(string directory)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exitCode = ModelsVerb.Validate(directory, [], stdout, stderr);
        return (exitCode, stdout.ToString(), stderr.ToString());
    }
}
