using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Forecast.Models;

namespace Forecast.Ingestion.Kafka.Tests;

/// <summary>
/// Two silos clustered through Redis share one model registry (kept in Redis): a version uploaded through one is
/// deployed as a canary, promoted through the other, and rolled back, all while readings stream in; every reading
/// gets exactly one prediction, and both versions made some.
/// </summary>
public sealed class ModelSwapTests(RedisFixture redis, ITestOutputHelper output) : IClassFixture<RedisFixture>, IDisposable
{
    private const string Key = "swap-test-key-0123456789";
    private readonly string _scratch = Directory.CreateTempSubdirectory("forecast-swap-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    [Fact]
    public async Task Versions_ChangeUnderLoad_AcrossTwoSilos_WithoutLossOrDoubleApplication()
    {
        using var traffic = new SteadyTraffic(sensors: 200, perSensor: 240, slice: 500).Start();
        var (cluster, readings, produce, topics) = (traffic.Cluster, traffic.Readings, traffic.Production, traffic.Topics);
        var keys = Path.Combine(_scratch, "keys");
        await File.WriteAllTextAsync(keys, $"{Key} ci\n");
        string[] settings =
        [
            .. ForecastProcess.Clustered(redis.ConnectionString, "swap"), "--Orleans:ServiceId", $"swap-{Guid.NewGuid():N}",
            "--Api:KeyFile", keys, "--Models:CacheDirectory", Path.Combine(_scratch, "cache"),
        ];
        var (url1, url2) = ($"http://127.0.0.1:{FreePort.Next()}", $"http://127.0.0.1:{FreePort.Next()}");
        using var first = ForecastProcess.Run(cluster.BootstrapServers, [.. settings, "--urls", url1]);
        using var second = ForecastProcess.Run(cluster.BootstrapServers, [.. settings, "--urls", url2]);
        using var silo1 = Client(url1);
        using var silo2 = Client(url2);
        // Past the sensors' warm-up (60 readings each), so each version's own forecasts are what changes.
        await traffic.WaitAsync(() => topics.Committed() >= 12_000, TimeSpan.FromMinutes(2), second);

        // Uploaded through one silo, deployed as a canary; the other silo's sensors follow the same registry.
        using (var package = new ByteArrayContent(ModelPackage.Pack(RepositoryFiles.Find("onnx", "models", "gru-window"))))
        {
            var uploaded = await silo1.PostAsync(new Uri("/models", UriKind.Relative), package);
            Assert.True(uploaded.IsSuccessStatusCode, await uploaded.Content.ReadAsStringAsync());
        }

        await DeployAsync(silo1, "gru-window@2", new { mode = "canary", percent = 50 });
        var sensors = Enumerable.Range(0, 200).Select(i => $"s-{i:D5}").ToList();
        await WaitAsync(first, async () =>
        {
            var served = await ServedAsync(silo2, sensors);
            var canarySilos = served.Where(s => s.Model == "gru-window@2").Select(s => s.Silo).Distinct().Count();
            return canarySilos == 2 && served.Any(s => s.Model.StartsWith("lstm-default@", StringComparison.Ordinal));
        });
        await traffic.WaitAsync(() => topics.Models().GetValueOrDefault("gru-window@2") >= 1_000, TimeSpan.FromMinutes(1), first);
        Assert.False(produce.IsCompleted, "production ended before the canary served; the swap was not under load");
        output.WriteLine($"canary on both silos: {topics.Describe()}");

        // Promoted through the other silo, then rolled back: every sensor follows each step.
        await DeployAsync(silo2, "gru-window@2", new { mode = "primary" });
        await WaitAsync(first, async () => (await ServedAsync(silo1, sensors)).All(s => s.Model == "gru-window@2"));
        var promoted = topics.Models().GetValueOrDefault("gru-window@2");
        await traffic.WaitAsync(() => topics.Models().GetValueOrDefault("gru-window@2") >= promoted + 2_000, TimeSpan.FromMinutes(1), first);
        Assert.False(produce.IsCompleted, "production ended before the rollback; it was not under load");
        var rollback = await silo1.PostAsync(new Uri("/models/rollback", UriKind.Relative), null);
        Assert.True(rollback.IsSuccessStatusCode, await rollback.Content.ReadAsStringAsync());
        await WaitAsync(first, async () => (await ServedAsync(silo2, sensors)).All(s => s.Model.StartsWith("lstm-default@", StringComparison.Ordinal)));
        output.WriteLine($"rolled back: {topics.Describe()}");

        await produce;
        await traffic.WaitAsync(() => topics.CaughtUp(), TimeSpan.FromMinutes(3), second);
        var (messages, covered) = topics.ReadPredictions();
        var models = topics.Models();
        output.WriteLine($"{covered.Count} readings predicted, {messages} prediction messages; by version: {string.Join(", ", models.Select(m => $"{m.Key} {m.Value}"))}");

        Assert.True(covered.Count == readings.Count, $"{readings.Count - covered.Count} readings have no prediction; {topics.Describe()}\nsilo 1:\n{first.Output}");
        Assert.True(messages == covered.Count, $"{messages - covered.Count} readings were predicted twice (applied twice or redelivered)");
        Assert.True(models.GetValueOrDefault("gru-window@2") > 0 && models.Keys.Any(m => m.StartsWith("lstm-default@", StringComparison.Ordinal)), string.Join(", ", models.Keys));
        var audit = JsonNode.Parse(await silo2.GetStringAsync(new Uri("/models/audit", UriKind.Relative)))!.AsArray()
            .Where(e => e!["actor"]!.GetValue<string>() == "ci").Select(e => $"{e!["action"]} {e["outcome"]}");
        Assert.Equal(["upload ok", "deploy ok", "promote ok", "rollback ok"], audit);
    }

    private static HttpClient Client(string url)
    {
        var http = new HttpClient { BaseAddress = new Uri(url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        return http;
    }

    private static async Task DeployAsync(HttpClient silo, string id, object body)
    {
        var response = await silo.PostAsJsonAsync(new Uri($"/models/{id}/deploy", UriKind.Relative), body);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Which version serves each sensor, and on which silo it lives.</summary>
    private static async Task<List<(string Model, string Silo)>> ServedAsync(HttpClient silo, IEnumerable<string> sensors)
    {
        var served = new List<(string, string)>();
        foreach (var sensor in sensors)
        {
            var status = JsonNode.Parse(await silo.GetStringAsync(new Uri($"/sensors/{sensor}", UriKind.Relative)))!;
            served.Add((status["model"]!.GetValue<string>(), status["silo"]?.GetValue<string>() ?? ""));
        }

        return served;
    }

    private static Task WaitAsync(ForecastProcess silo, Func<Task<bool>> done) => silo.WaitUntilAsync(done, TimeSpan.FromSeconds(45));
}
