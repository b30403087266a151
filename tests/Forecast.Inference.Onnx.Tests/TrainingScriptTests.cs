using System.Diagnostics;

namespace Forecast.Inference.Onnx.Tests;

/// <summary>
/// The tiny runs of <c>onnx/train.py</c> (a copy of the scripts sits next to the tests), so the
/// workshop cannot rot: each exported folder must pass the serving validator. These need Debian's
/// python3-torch and python3-onnx under /usr/bin/python3 and fail when they are missing.
/// </summary>
public sealed class TrainingScriptTests
{
    private const string Python = "/usr/bin/python3";
    private static readonly string Script = Path.Combine(AppContext.BaseDirectory, "onnx", "train.py");
    private static readonly string Series = Path.Combine(AppContext.BaseDirectory, "data", "sim-4242.csv");

    [Theory]
    [InlineData("lstm", ModelSignature.StatefulStep)]
    [InlineData("gru", ModelSignature.Window)]
    [InlineData("linear", ModelSignature.Window)]
    public async Task TrainQuick_ExportsAModelTheValidatorAccepts(string arch, ModelSignature signature)
    {
        var output = Path.Combine(Path.GetTempPath(), $"forecast-train-{arch}-{Guid.NewGuid():N}");

        var (exitCode, stdout, stderr) = await RunAsync(
            Script, "--quick", "--data", Series, "--time-column", "timestamp", "--value-column", "value",
            "--arch", arch, "--window", "48", "--horizon", "4", "--warmup", "48", "--out", output);

        Assert.True(exitCode == 0, $"train.py exited {exitCode}\n{stdout}\n{stderr}");
        using var model = OnnxModel.Load(output, BundledModel.Options());
        Assert.Equal(signature, model.Descriptor.Signature);
        Assert.Equal((4, 48, 48), (model.Descriptor.Horizon, model.Descriptor.Window, model.Descriptor.Warmup));
        Assert.Equal(TimeSpan.FromMinutes(1), model.Descriptor.SamplingInterval);
    }

    [Theory]
    [InlineData("nope", "value", "no column 'nope' (columns: timestamp, value)")]
    [InlineData("timestamp", "vale", "no column 'vale' (columns: timestamp, value)")]
    public async Task Train_RefusesUnknownColumns(string timeColumn, string valueColumn, string message)
    {
        var (exitCode, _, stderr) = await RunAsync(
            Script, "--quick", "--data", Series, "--time-column", timeColumn, "--value-column", valueColumn, "--out", Path.GetTempPath());

        Assert.Equal(1, exitCode);
        Assert.Contains(message, stderr);
    }

    [Fact]
    public async Task Train_RefusesAStatefulRingShorterThanTheWarmup()
    {
        var (exitCode, _, stderr) = await RunAsync(
            Script, "--quick", "--data", Series, "--time-column", "timestamp", "--value-column", "value",
            "--window", "32", "--warmup", "48", "--out", Path.GetTempPath());

        Assert.Equal(1, exitCode);
        Assert.Contains("--window 32 (the ring a stateful model re-warms from) must be at least the warm-up (48)", stderr);
    }

    [Fact]
    public async Task Train_RefusesANonNumericValue_NamingTheLine()
    {
        var csv = Path.Combine(Path.GetTempPath(), $"forecast-bad-{Guid.NewGuid():N}.csv");
        var lines = File.ReadAllLines(Series);
        lines[7] = lines[7].Split(',')[0] + ",warm";
        File.WriteAllLines(csv, lines);

        var (exitCode, _, stderr) = await RunAsync(
            Script, "--quick", "--data", csv, "--time-column", "timestamp", "--value-column", "value", "--out", Path.GetTempPath());

        Assert.Equal(1, exitCode);
        Assert.Contains(":8: 'warm' in column 'value' is not a number", stderr);
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        Assert.True(File.Exists(Python), $"{Python} is missing: install Debian's python3, python3-torch and python3-onnx (tests/run.sh does).");
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
