using System.Net.Http.Json;
using System.Text.Json;

namespace Forecast.Testing;

/// <summary>
/// Debian's Prometheus Alertmanager (<c>prometheus-alertmanager</c>) on a free loopback port, clustering off,
/// with one receiver that sends nowhere: the tests read what it holds through its v2 API.
/// </summary>
public sealed class AlertmanagerServer : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("forecast-alertmanager-").FullName;
    private readonly HttpClient _http = new();
    private ServerProcess? _server;

    public int Port { get; } = FreePort.Next();

    public string Url => $"http://127.0.0.1:{Port}";

    public async Task InitializeAsync()
    {
        var config = Path.Combine(_directory, "alertmanager.yml");
        await File.WriteAllTextAsync(config, "route:\n  receiver: none\nreceivers:\n  - name: none\n");
        _server = await ServerProcess.StartAsync(
            "/usr/bin/prometheus-alertmanager",
            "prometheus-alertmanager",
            [
                "--config.file", config,
                "--storage.path", Path.Combine(_directory, "data"),
                "--web.listen-address", $"127.0.0.1:{Port}",
                "--cluster.listen-address=",
            ],
            ReadyAsync);
    }

    /// <summary>The alerts Alertmanager holds now (active, silenced or inhibited; resolved ones are gone).</summary>
    public async Task<IReadOnlyList<JsonElement>> AlertsAsync()
    {
        var alerts = await _http.GetFromJsonAsync<JsonElement>($"{Url}/api/v2/alerts");
        return [.. alerts.EnumerateArray()];
    }

    public Task DisposeAsync()
    {
        _server?.Dispose();
        _http.Dispose();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    private async Task<bool> ReadyAsync()
    {
        try
        {
            using var response = await _http.GetAsync($"{Url}/-/ready");
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}
