using Forecast.Host.Verbs;

namespace Forecast.Host.Tests;

/// <summary>A model upload to a registry folder on a real full disk (a small tmpfs): refused plainly, nothing half-written.</summary>
public sealed class ModelStoreDiskFullTests : IDisposable
{
    private const string Key = "diskfull-key-0123456789";
    private readonly string _scratch = Directory.CreateTempSubdirectory("forecast-diskfull-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    [Fact]
    public async Task Upload_ToAFullDisk_IsRefusedWith507_AndTheRegistryStaysAsItWas()
    {
        using var disk = await TinyDisk.MountAsync(2 * 1024 * 1024);
        var registry = Path.Combine(disk.Path, "registry");
        var keys = Path.Combine(_scratch, "keys");
        await File.WriteAllTextAsync(keys, $"{Key} alice\n");
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        using var silo = ForecastProcess.Start(
        [
            "--sensors", "20", "--duration", "60s", "--urls", url, "--Api:KeyFile", keys,
            "--Models:Directory", registry, "--Models:CacheDirectory", Path.Combine(_scratch, "cache"),
        ]);
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        await silo.WaitUntilAsync(async () => (await http.GetAsync(new Uri("/sensors/sim/sensor-00001", UriKind.Relative))).IsSuccessStatusCode, TimeSpan.FromSeconds(45));
        string[] Deploy() => ["deploy", ModelsVerbTests.RepositoryFile("onnx", "models", "gru-window"), "--mode", "canary", "--url", url, "--api-key-file", keys];
        var (_, listed, _) = await ModelLifecycleTests.CliAsync("list", "--url", url, "--api-key-file", keys);
        var files = Snapshot(registry);

        disk.Fill();
        var (refused, _, reason) = await ModelLifecycleTests.CliAsync(Deploy());
        Assert.Equal(ModelRegistryClient.Refused, refused);
        Assert.Contains("507", reason, StringComparison.Ordinal);
        Assert.Contains($"The disk is full: no space left for the model registry in {registry}", reason, StringComparison.Ordinal);
        Assert.Equal(files, Snapshot(registry));
        Assert.Equal(listed, (await ModelLifecycleTests.CliAsync("list", "--url", url, "--api-key-file", keys)).Stdout);

        // With space back the same upload goes through.
        disk.Free();
        var (deployed, _, log) = await ModelLifecycleTests.CliAsync(Deploy());
        Assert.True(deployed == 0, log);
        Assert.Contains("gru-window@", (await ModelLifecycleTests.CliAsync("list", "--url", url, "--api-key-file", keys)).Stdout, StringComparison.Ordinal);
        await silo.TerminateAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Every file under <paramref name="folder"/> with its content, so a stray temporary file or a changed registry shows.</summary>
    private static List<string> Snapshot(string folder) =>
        [.. Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Order().Select(f => $"{f} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))}")];
}
