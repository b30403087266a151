using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Forecast.Host.Verbs;

namespace Forecast.Host.Tests;

/// <summary>
/// The model lifecycle on a running silo, as a data scientist meets it: <c>forecast run</c> with simulated
/// sensors and a key file; refused deploys (no key, wrong key, a truncated model); a canary for half the sensors;
/// a rollback; a shadow beside the primary; and a run whose every reading was predicted once.
/// </summary>
public sealed class ModelLifecycleTests(ITestOutputHelper output) : IDisposable
{
    private const string Key = "lifecycle-key-0123456789";
    private readonly string _scratch = Directory.CreateTempSubdirectory("forecast-lifecycle-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    [Fact]
    public async Task Deploy_Canary_Rollback_OnARunningSilo_LosesNoReading()
    {
        var keys = Path.Combine(_scratch, "keys");
        await File.WriteAllTextAsync(keys, $"# who may manage models\n{Key} alice\n");
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        using var silo = ForecastProcess.Start(
        [
            "--sensors", "500", "--duration", "75s", "--urls", url, "--Api:KeyFile", keys,
            "--Models:Directory", Path.Combine(_scratch, "registry"), "--Models:CacheDirectory", Path.Combine(_scratch, "cache"),
        ]);
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        await WaitAsync(silo, async () => (await http.GetAsync(new Uri("/sensors/sim/sensor-00001", UriKind.Relative))).IsSuccessStatusCode);

        // Refused: no key, a wrong key, and a model whose graph was cut short. The primary keeps serving.
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(new Uri("/models", UriKind.Relative))).StatusCode);
        using (var wrong = new HttpRequestMessage(HttpMethod.Post, "/models/rollback"))
        {
            wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-key-of-this-silo");
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(wrong)).StatusCode);
        }

        var truncated = ModelsVerbTests.CopyOf(ModelsVerbTests.RepositoryFile("onnx", "models", "gru-window"));

        var onnx = await File.ReadAllBytesAsync(Path.Combine(truncated, "model.onnx"));
        await File.WriteAllBytesAsync(Path.Combine(truncated, "model.onnx"), onnx[..(onnx.Length / 2)]);
        var (refused, _, refusal) = await CliAsync("deploy", truncated, "--mode", "canary", "--percent", "50", "--url", url, "--api-key-file", keys);
        Assert.Equal(ModelRegistryClient.Refused, refused);
        Assert.Contains("422", refusal, StringComparison.Ordinal);
        Assert.Contains("model.onnx", refusal, StringComparison.Ordinal);

        // Bad requests to the other endpoints: each refused with its reason, the registry untouched.
        foreach (var (path, body, status, reason) in new (string, string, HttpStatusCode, string)[]
        {
            ("/models", "", HttpStatusCode.UnprocessableEntity, "not a gzip tar"),
            ("/models/lstm-default@2/deploy", "{not json", HttpStatusCode.BadRequest, "not a deploy request"),
            ("/models/lstm-default@2/deploy", "{\"mode\": \"sometimes\"}", HttpStatusCode.BadRequest, "mode must be primary, canary or shadow"),
            ("/models/nope@1/deploy", "{\"mode\": \"canary\"}", HttpStatusCode.NotFound, "nope@1 is not in the registry"),
            ("/models/lstm-default@2/deploy", "{\"mode\": \"canary\", \"percent\": 0}", HttpStatusCode.UnprocessableEntity, "percent 0 is not from 1 to 100"),
            ("/models/rollback", "", HttpStatusCode.Conflict, "nothing to roll back"),
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
            using var response = await http.SendAsync(request);
            var answer = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"POST {path} {body}: {(int)response.StatusCode} {answer}");
            Assert.Contains(reason, answer, StringComparison.Ordinal);
        }

        Assert.Equal(["lstm-default@2 primary"], (await ListAsync(url, keys))["versions"]!.AsArray().Select(v => $"{v!["id"]} {v["stage"]}"));

        // A canary for half the sensors: each sensor names the version it is served.
        var (deployed, _, deployLog) = await CliAsync(
            "deploy", ModelsVerbTests.RepositoryFile("onnx", "models", "gru-window"), "--mode", "canary", "--percent", "50", "--url", url, "--api-key-file", keys);
        Assert.True(deployed == 0, deployLog);
        var sensors = Enumerable.Range(1, 40).Select(i => $"sim/sensor-{i:D5}").ToList();
        await WaitAsync(silo, async () =>
        {
            var models = await ServedAsync(http, sensors);
            return models.Any(m => m.StartsWith("gru-window@", StringComparison.Ordinal)) && models.Any(m => m.StartsWith("lstm-default@", StringComparison.Ordinal));
        });
        var canary = (await ServedAsync(http, sensors)).Count(m => m.StartsWith("gru-window@", StringComparison.Ordinal));
        output.WriteLine($"canary: {canary} of {sensors.Count} sensors on gru-window");
        Assert.InRange(canary, 8, 32);

        // Both versions have live error; the listing names them.
        await WaitAsync(silo, async () => (await ListAsync(url, keys))["versions"]!.AsArray().All(v => v!["live"]?["readings"]?.GetValue<long>() > 0));

        var (rolledBack, _, rollbackLog) = await CliAsync("rollback", "--url", url, "--api-key-file", keys);
        Assert.True(rolledBack == 0, rollbackLog);
        await WaitAsync(silo, async () => (await ServedAsync(http, sensors)).All(m => m.StartsWith("lstm-default@", StringComparison.Ordinal)));

        // A shadow for every sensor: it forecasts beside the primary, which still serves.
        var (shadowed, _, shadowLog) = await CliAsync(
            "deploy", ModelsVerbTests.RepositoryFile("onnx", "models", "gru-window"), "--mode", "shadow", "--url", url, "--api-key-file", keys);
        Assert.True(shadowed == 0, shadowLog);
        await WaitAsync(silo, async () => (await ShadowsAsync(http, sensors)).All(s => s == "gru-window@2"));
        Assert.All(await ServedAsync(http, sensors), m => Assert.StartsWith("lstm-default@", m, StringComparison.Ordinal));
        Assert.Equal(0, (await CliAsync("rollback", "--url", url, "--api-key-file", keys)).ExitCode);
        await WaitAsync(silo, async () => (await ShadowsAsync(http, sensors)).All(s => s is null));

        var (_, audit, _) = await CliAsync("audit", "--url", url, "--api-key-file", keys);
        var entries = JsonNode.Parse(audit)!.AsArray().Select(e => $"{e!["actor"]} {e["action"]} {e["outcome"]}").ToList();
        output.WriteLine(string.Join('\n', entries));
        Assert.Equal(
            [
                "bundled upload ok", "alice upload refused", "alice upload refused", "alice deploy refused", "alice deploy refused", "alice rollback refused",
                "alice upload ok", "alice deploy ok", "alice rollback ok", "alice deploy ok", "alice rollback ok",
            ],
            entries);

        var summary = await SummaryAsync(silo);
        output.WriteLine(summary.ToJsonString());
        Assert.True(summary["readings"]!.GetValue<long>() > 10_000, silo.Output);
        Assert.Equal(summary["readings"]!.GetValue<long>(), summary["predictions"]!.GetValue<long>());
        Assert.Equal(0, summary["failedCalls"]!.GetValue<long>());
        Assert.Equal(0, summary["ignored"]!.GetValue<long>());
    }

    [Fact]
    public async Task ASiloThatStarts_ServesWhatTheRegistryKept_BeforeItsFirstReading()
    {
        var keys = Path.Combine(_scratch, "keys");
        await File.WriteAllTextAsync(keys, $"{Key} alice\n");
        var registry = Path.Combine(_scratch, "registry");
        var sensors = Enumerable.Range(0, 40).Select(i => $"sim/sensor-{i:D5}").ToList();
        string[] Arguments(string url, string duration) =>
        [
            "--sensors", "40", "--duration", duration, "--urls", url, "--Api:KeyFile", keys,
            "--Models:Directory", registry, "--Models:CacheDirectory", Path.Combine(_scratch, "cache"),
        ];

        var first = $"http://127.0.0.1:{FreePort.Next()}";
        List<string> before;
        using (var silo = ForecastProcess.Start(Arguments(first, "20s")))
        {
            using var http = new HttpClient { BaseAddress = new Uri(first) };
            await WaitAsync(silo, async () => (await http.GetAsync(new Uri("/sensors/sim/sensor-00001", UriKind.Relative))).IsSuccessStatusCode);
            var (deployed, _, log) = await CliAsync(
                "deploy", ModelsVerbTests.RepositoryFile("onnx", "models", "gru-window"), "--mode", "canary", "--percent", "50", "--url", first, "--api-key-file", keys);
            Assert.True(deployed == 0, log);
            await WaitAsync(silo, async () => (await ServedAsync(http, sensors)).Any(m => m.StartsWith("gru-window@", StringComparison.Ordinal)));
            before = await ServedAsync(http, sensors);
            Assert.Equal(0, await silo.WaitForExitAsync(TimeSpan.FromMinutes(1)));
        }

        // A new process on the same registry: the same cohort on the canary, from its first reading on.
        var second = $"http://127.0.0.1:{FreePort.Next()}";
        using var restarted = ForecastProcess.Start(Arguments(second, "15s"));
        using var client = new HttpClient { BaseAddress = new Uri(second) };
        await WaitAsync(restarted, async () => (await client.GetAsync(new Uri("/sensors/sim/sensor-00001", UriKind.Relative))).IsSuccessStatusCode);
        Assert.Equal(before, await ServedAsync(client, sensors));
        Assert.Equal(0, await restarted.WaitForExitAsync(TimeSpan.FromMinutes(1)));
        var output = restarted.Output;
        var followed = output.IndexOf("canary gru-window@2 (50% of *)", StringComparison.Ordinal);
        Assert.True(followed >= 0 && followed < output.IndexOf("readings/s", StringComparison.Ordinal), output);
    }

    [Fact]
    public async Task Cli_RefusesBadInput_WithAClearMessage()
    {
        var keys = Path.Combine(_scratch, "keys");
        await File.WriteAllTextAsync(keys, $"{Key} alice\n");
        var model = ModelsVerbTests.RepositoryFile("onnx", "models", "gru-window");
        var closed = $"http://127.0.0.1:{FreePort.Next()}";

        foreach (var (args, exitCode, message) in new (string[], int, string)[]
        {
            (["list", "--url", "localhost:8080", "--api-key-file", keys], ModelRegistryClient.Unreachable, "is not an http(s) URL"),
            (["list", "--url", closed, "--api-key-file", Path.Combine(_scratch, "none")], ModelRegistryClient.Unreachable, "--api-key-file"),
            (["list", "--url", closed, "--api-key-file", keys], ModelRegistryClient.Unreachable, "cannot be reached"),
            (["deploy", Path.Combine(_scratch, "no-model"), "--url", closed, "--api-key-file", keys], ModelRegistryClient.Refused, "is not a folder"),
            (["deploy", model, "--mode", "sometimes", "--url", closed, "--api-key-file", keys], 2, "sometimes"),
            (["promote", "--url", closed, "--api-key-file", keys], 2, "Required argument missing"),
        })
        {
            var (actual, _, stderr) = await CliAsync(args);
            Assert.True(actual == exitCode, $"{string.Join(' ', args)}: exit {actual}, {stderr}");
            Assert.Contains(message, stderr, StringComparison.Ordinal);
        }
    }

    internal static async Task<(int ExitCode, string Stdout, string Stderr)> CliAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exitCode = await ForecastCommandLine.InvokeAsync(["models", .. args], stdout, stderr);
        return (exitCode, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The version serving each sensor and its shadow version, if any, as <c>GET /sensors/{id}</c> names them.</summary>
    private static async Task<List<(string Model, string? Shadow)>> StatusesAsync(HttpClient http, IEnumerable<string> sensors)
    {
        var statuses = new List<(string, string?)>();
        foreach (var sensor in sensors)
        {
            var status = JsonNode.Parse(await http.GetStringAsync(new Uri($"/sensors/{sensor}", UriKind.Relative)))!;
            statuses.Add((status["model"]!.GetValue<string>(), status["shadow"]?.GetValue<string>()));
        }

        return statuses;
    }

    private static async Task<List<string>> ServedAsync(HttpClient http, IEnumerable<string> sensors) =>
        [.. (await StatusesAsync(http, sensors)).Select(s => s.Model)];

    private static async Task<List<string?>> ShadowsAsync(HttpClient http, IEnumerable<string> sensors) =>
        [.. (await StatusesAsync(http, sensors)).Select(s => s.Shadow)];

    private static async Task<JsonNode> ListAsync(string url, string keys)
    {
        var (exitCode, stdout, stderr) = await CliAsync("list", "--url", url, "--api-key-file", keys);
        Assert.True(exitCode == 0, stderr);
        return JsonNode.Parse(stdout)!;
    }

    private static Task WaitAsync(ForecastProcess silo, Func<Task<bool>> done) => silo.WaitUntilAsync(done, TimeSpan.FromSeconds(45));

    private static async Task<JsonNode> SummaryAsync(ForecastProcess silo)
    {
        Assert.Equal(0, await silo.WaitForExitAsync(TimeSpan.FromMinutes(2)));
        var line = silo.Output.Split('\n').Last(l => l.StartsWith("{\"readings\"", StringComparison.Ordinal));
        return JsonNode.Parse(line)!;
    }
}
