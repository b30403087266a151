using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Forecast.Testing;

/// <summary>
/// A real InfluxDB 1.x (Debian's <c>influxdb</c> package, <c>/usr/bin/influxd</c>) on a free loopback
/// port with its data in a temporary folder. Fails loudly when it cannot start; never skips.
/// </summary>
public sealed class InfluxServer : IAsyncDisposable
{
    public const string Binary = "/usr/bin/influxd";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly string _directory;
    private readonly string _config;
    private readonly HttpClient _http;
    private readonly Queue<string> _output = new();
    private Process? _process;

    private InfluxServer(string directory, int httpPort, int rpcPort)
    {
        _directory = directory;
        Port = httpPort;
        Url = $"http://127.0.0.1:{httpPort}";
        _config = Path.Combine(directory, "influxdb.conf");
        File.WriteAllText(_config, $"""
            reporting-disabled = true
            bind-address = "127.0.0.1:{rpcPort}"

            [meta]
              dir = "{directory}/meta"

            [data]
              dir = "{directory}/data"
              wal-dir = "{directory}/wal"
              query-log-enabled = false

            [http]
              bind-address = "127.0.0.1:{httpPort}"
              log-enabled = false

            [monitor]
              store-enabled = false

            [continuous_queries]
              enabled = false
            """);
        _http = new HttpClient { BaseAddress = new Uri(Url + "/"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public int Port { get; }

    public string Url { get; }

    public static async Task<InfluxServer> StartAsync()
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException(
                $"{Binary} not found: these tests need a real InfluxDB 1.x. Install Debian's package: apt-get install -y influxdb");
        }

        var directory = Directory.CreateTempSubdirectory("forecast-influxd-").FullName;
        var server = new InfluxServer(directory, FreePort.Next(), FreePort.Next());
        await server.StartProcessAsync();
        return server;
    }

    /// <summary>Starts (or restarts) influxd on the same port and data folder and waits for <c>/ping</c>.</summary>
    public async Task StartProcessAsync()
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException("influxd is already running.");
        }

        lock (_output)
        {
            _output.Clear();
        }

        var start = new ProcessStartInfo(Binary, ["-config", _config])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {Binary}.");
        _process.OutputDataReceived += (_, e) => Remember(e.Data);
        _process.ErrorDataReceived += (_, e) => Remember(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < StartTimeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException(
                    $"influxd exited with code {_process.ExitCode} before answering /ping on {Url}. Its output:\n{Output()}");
            }

            try
            {
                using var ping = await _http.GetAsync("ping");
                if (ping.StatusCode == HttpStatusCode.NoContent)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        Kill();
        throw new InvalidOperationException($"influxd did not answer /ping on {Url} within {StartTimeout.TotalSeconds} s. Its output:\n{Output()}");
    }

    /// <summary>CPU time influxd has used so far (user and system), for benchmarks that split the cost.</summary>
    public TimeSpan ProcessorTime
    {
        get
        {
            var process = _process ?? throw new InvalidOperationException("influxd is not running.");
            process.Refresh();
            return process.TotalProcessorTime;
        }
    }

    /// <summary>Kills influxd at once (SIGKILL), as a crash would.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            process.WaitForExit();
        }
    }

    /// <summary>Creates a database with a fresh name and returns the name.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 60)];
        await QueryAsync(null, $"CREATE DATABASE \"{name}\"", post: true);
        return name;
    }

    /// <summary>Writes raw line protocol, bypassing the sink.</summary>
    public async Task WriteRawAsync(string database, string lines)
    {
        using var content = new StringContent(lines);
        using var response = await _http.PostAsync($"write?db={database}&precision=ns", content);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"raw write failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>Runs InfluxQL and returns the first statement's series (empty when there are none).</summary>
    public async Task<IReadOnlyList<Series>> QueryAsync(string? database, string query, bool post = false)
    {
        var parameters = new Dictionary<string, string> { ["q"] = query, ["epoch"] = "ns" };
        if (database is not null)
        {
            parameters["db"] = database;
        }

        using var form = new FormUrlEncodedContent(parameters);
        using var response = post
            ? await _http.PostAsync("query", form)
            : await _http.GetAsync("query?" + await form.ReadAsStringAsync());
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"query '{query}' failed: {(int)response.StatusCode} {text}");
        }

        using var json = JsonDocument.Parse(text);
        var result = json.RootElement.GetProperty("results")[0];
        if (result.TryGetProperty("error", out var error))
        {
            throw new InvalidOperationException($"query '{query}' failed: {error.GetString()}");
        }

        var series = new List<Series>();
        if (result.TryGetProperty("series", out var list))
        {
            foreach (var item in list.EnumerateArray())
            {
                var columns = item.GetProperty("columns").EnumerateArray().Select(c => c.GetString()!).ToList();
                var rows = item.GetProperty("values").EnumerateArray()
                    .Select(row => (IReadOnlyList<object?>)row.EnumerateArray().Select(Value).ToList())
                    .ToList();
                var tags = item.TryGetProperty("tags", out var t)
                    ? t.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "")
                    : [];
                series.Add(new Series(item.GetProperty("name").GetString()!, tags, columns, rows));
            }
        }

        return series;
    }

    /// <summary>Counts the points of <paramref name="measurement"/> (by its <paramref name="field"/>).</summary>
    public async Task<long> CountAsync(string database, string measurement, string field)
    {
        var series = await QueryAsync(database, $"SELECT count(\"{field}\") FROM \"{measurement}\"");
        return series.Count == 0 ? 0 : Convert.ToInt64(series[0].Rows[0][1], CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The HTTP service's write counters since influxd started (<c>/debug/vars</c>): write requests, the bytes of
    /// their bodies after gzip is undone, and the points it stored.
    /// </summary>
    public async Task<WriteStatistics> WriteStatisticsAsync()
    {
        using var json = JsonDocument.Parse(await _http.GetStringAsync("debug/vars"));
        long Sum(string name) => json.RootElement.EnumerateObject()
            .Where(p => p.Value.ValueKind == JsonValueKind.Object && p.Value.TryGetProperty("name", out var n) && n.GetString() == "httpd")
            .Sum(p => p.Value.GetProperty("values").TryGetProperty(name, out var v) ? v.GetInt64() : 0);
        return new WriteStatistics(Sum("writeReq"), Sum("writeReqBytes"), Sum("pointsWrittenOK"));
    }

    private static object? Value(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Number => element.TryGetInt64(out var l) && !element.GetRawText().Contains('.', StringComparison.Ordinal) && !element.GetRawText().Contains('e', StringComparison.OrdinalIgnoreCase)
            ? (object)l
            : element.GetDouble(),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Null => null,
        _ => element.GetRawText(),
    };

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Enqueue(line);
            while (_output.Count > 40)
            {
                _output.Dequeue();
            }
        }
    }

    private string Output()
    {
        lock (_output)
        {
            return string.Join('\n', _output);
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process?.Dispose();
        _http.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is not worth failing a test run for.
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>One series of an InfluxQL result.</summary>
/// <summary>influxd's write counters: see <see cref="InfluxServer.WriteStatisticsAsync"/>.</summary>
public sealed record WriteStatistics(long Requests, long Bytes, long Points);

public sealed record Series(string Name, IReadOnlyDictionary<string, string> Tags, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<object?>> Rows)
{
    public object? Get(int row, string column) => Rows[row][Columns.ToList().IndexOf(column)];
}

/// <summary>One influxd shared by the tests of a collection (each test assembly defines its own).</summary>
public sealed class InfluxServerFixture : IAsyncLifetime
{
    private InfluxServer? _server;

    public InfluxServer Server => _server ?? throw new InvalidOperationException("influxd was not started.");

    public async Task InitializeAsync() => _server = await InfluxServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
