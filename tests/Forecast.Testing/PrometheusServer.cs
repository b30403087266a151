using System.Net.Http.Json;
using System.Text.Json;

namespace Forecast.Testing;

/// <summary>
/// Debian's Prometheus (<c>prometheus</c> 2.42) on a free loopback port, scraping the targets it is given every
/// second; read back through its query API.
/// </summary>
public sealed class PrometheusServer : IDisposable
{
    private readonly string _directory;
    private readonly ServerProcess _server;
    private readonly HttpClient _http = new();

    private PrometheusServer(string directory, ServerProcess server, int port) => (_directory, _server, Port) = (directory, server, port);

    public int Port { get; }

    /// <summary>Starts Prometheus scraping <paramref name="target"/> (<c>host:port</c>) at <c>/metrics</c> as job <c>forecast</c>.</summary>
    public static async Task<PrometheusServer> StartAsync(string target)
    {
        var directory = Directory.CreateTempSubdirectory("forecast-prometheus-").FullName;
        var config = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: forecast
                static_configs:
                  - targets: ['{target}']
            """);
        var port = FreePort.Next();
        using var probe = new HttpClient();
        var server = await ServerProcess.StartAsync(
            "/usr/bin/prometheus",
            "prometheus",
            ["--config.file", config, "--storage.tsdb.path", Path.Combine(directory, "data"), "--web.listen-address", $"127.0.0.1:{port}"],
            async () =>
            {
                try
                {
                    return (await probe.GetAsync($"http://127.0.0.1:{port}/-/ready")).IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            });
        return new PrometheusServer(directory, server, port);
    }

    /// <summary>An instant query's result vector (<c>/api/v1/query</c>).</summary>
    public async Task<IReadOnlyList<JsonElement>> QueryAsync(string promql)
    {
        var answer = await _http.GetFromJsonAsync<JsonElement>($"http://127.0.0.1:{Port}/api/v1/query?query={Uri.EscapeDataString(promql)}");
        return [.. answer.GetProperty("data").GetProperty("result").EnumerateArray()];
    }

    public string Log() => _server.Log();

    public void Dispose()
    {
        _server.Dispose();
        _http.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
