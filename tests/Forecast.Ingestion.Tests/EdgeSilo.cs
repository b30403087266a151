using System.Net;
using System.Text.Json;

namespace Forecast.Ingestion.Tests;

/// <summary>
/// One <c>forecast run --sensors 0</c> process for the edge tests: HTTP ingest with API keys, MQTT ingest from a
/// real mosquitto broker, the embedded store; readings reach it only through the edge.
/// </summary>
public sealed class EdgeSilo : IAsyncLifetime
{
    public const string Key = "edge-test-key-0123456789";
    public const string PlantKey = "plant-key-abcdefghijklmn";
    public const string PlantPrefix = "plant-a/";
    public const string DeadLetterTopic = "devices-dlq";

    private readonly string _keyFile = Path.Combine(Path.GetTempPath(), $"forecast-keys-{Guid.NewGuid():N}");
    private ForecastProcess? _silo;

    public MosquittoFixture Broker { get; } = new();

    public HttpClient Http { get; } = new();

    public ForecastProcess Silo => _silo!;

    public async Task InitializeAsync()
    {
        await Broker.InitializeAsync();
        await File.WriteAllLinesAsync(_keyFile, ["# one key per line; a second column limits it to a sensor-id prefix", Key, $"{PlantKey} {PlantPrefix}"]);
        var port = FreePort.Next();
        Http.BaseAddress = new Uri($"http://127.0.0.1:{port}");
        _silo = ForecastProcess.Start(
        [
            "--sensors", "0",
            "--urls", Http.BaseAddress.ToString(),
            "--Edge:ApiKeyFile", _keyFile,
            "--Edge:MaxBodyBytes", "4194304",
            "--mqtt", Broker.Server,
            "--Mqtt:Topic", "devices/+/readings",
            "--Mqtt:DeadLetterTopic", DeadLetterTopic,
            "--Mqtt:ClientId", $"forecast-edge-tests-{Guid.NewGuid():N}",
        ]);
        await TestSilo.WaitUntilAsync(
            () => Silo.CountLines("MQTT: subscribed") > 0 && Live(),
            TimeSpan.FromMinutes(1),
            () => $"the edge silo did not start:\n{Silo.Output}");
    }

    /// <summary>Readings the sensor has applied, from <c>GET /sensors/{id}</c> (0 when it has none).</summary>
    public async Task<long> AppliedAsync(string sensor)
    {
        using var response = await Http.GetAsync($"/sensors/{sensor}");
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return 0;
        }

        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("applied").GetInt64();
    }

    /// <summary>Waits until every one of <paramref name="sensors"/> has applied <paramref name="readings"/>.</summary>
    public async Task WaitAppliedAsync(IEnumerable<string> sensors, long readings, TimeSpan timeout)
    {
        var pending = sensors.ToList();
        var deadline = DateTime.UtcNow + timeout;
        while (pending.Count > 0)
        {
            var counts = await Task.WhenAll(pending.Select(AppliedAsync));
            pending = [.. pending.Where((_, i) => counts[i] < readings)];
            Assert.All(counts, c => Assert.True(c <= readings, $"a sensor applied {c} readings of {readings}: some twice"));
            if (pending.Count > 0 && DateTime.UtcNow > deadline)
            {
                Assert.Fail($"{pending.Count} sensors have not applied {readings} readings, e.g. {pending[0]}: {await AppliedAsync(pending[0])}; silo:\n{Silo.Output}");
            }

            await Task.Delay(200);
        }
    }

    public async Task DisposeAsync()
    {
        _silo?.Dispose();
        Http.Dispose();
        File.Delete(_keyFile);
        await Broker.DisposeAsync();
    }

    private bool Live()
    {
        try
        {
            return Http.GetAsync("/health/live").GetAwaiter().GetResult().IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

}

[CollectionDefinition(Name)]
public sealed class EdgeCollection : ICollectionFixture<EdgeSilo>
{
    public const string Name = "edge silo";
}
