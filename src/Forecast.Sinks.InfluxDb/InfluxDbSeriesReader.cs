using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Forecast.Abstractions;

namespace Forecast.Sinks.InfluxDb;

/// <summary>
/// Reads back what the sink wrote, with InfluxQL over <c>/query</c> (1.x; 2.x through its 1.x-compatible API, the
/// bucket mapped to a database): the <c>reading</c> mirror, the step-1 <c>prediction</c> for each moment (the
/// forecast made one reading before), and the <c>anomaly</c> points.
/// </summary>
internal sealed class InfluxDbSeriesReader : ISeriesReader, IDisposable
{
    private const string NotExecuted = "not executed";
    private readonly HttpClient _http;
    private readonly string _database;

    public InfluxDbSeriesReader(InfluxDbSinkOptions options, string? token)
    {
        _database = options.Database ?? options.Bucket!;
        _http = new HttpClient { BaseAddress = new Uri(options.Url!.TrimEnd('/') + "/"), Timeout = options.RequestTimeout };
        if (!string.IsNullOrEmpty(token))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", token);
        }
        else if (!string.IsNullOrEmpty(options.Username))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
                "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.Username}:{options.Password}")));
        }
    }

    public string Source => "influxdb";

    public async Task<StoredSeries> ReadAsync(string sensorId, DateTimeOffset from, DateTimeOffset to, int maxPoints, CancellationToken cancellationToken = default)
    {
        var where = FormattableString.Invariant(
            $"\"sensor\" = '{sensorId.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal)}' AND time >= {from.ToUnixTimeMilliseconds()}ms AND time <= {to.ToUnixTimeMilliseconds()}ms");
        var limit = maxPoints + 1;
        var query = string.Join(';',
            FormattableString.Invariant($"SELECT \"value\" FROM \"reading\" WHERE {where} ORDER BY time DESC LIMIT {limit}"),
            FormattableString.Invariant($"SELECT \"yhat\", \"lower\", \"upper\" FROM \"prediction\" WHERE {where} AND \"step\" = '1' ORDER BY time DESC LIMIT {limit}"),
            FormattableString.Invariant($"SELECT \"value\", \"expected\", \"score\", \"lower\", \"upper\", \"severity\", \"model\" FROM \"anomaly\" WHERE {where} ORDER BY time DESC LIMIT {limit}"));
        using var response = await _http.GetAsync($"query?db={Uri.EscapeDataString(_database)}&epoch=ms&q={Uri.EscapeDataString(query)}", cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InfluxDbWriteException($"InfluxDB refused the query ({(int)response.StatusCode}): {body[..Math.Min(body.Length, 300)]}");
        }

        using var json = JsonDocument.Parse(body);
        var results = json.RootElement.GetProperty("results");
        var errors = results.EnumerateArray().Select(r => r.TryGetProperty("error", out var e) ? e.GetString() : null).OfType<string>().ToList();
        if (errors.Count > 0)
        {
            // After a failed statement InfluxDB marks the rest "not executed": report the one that failed.
            throw QueryFailed(errors.FirstOrDefault(e => e != NotExecuted) ?? NotExecuted);
        }

        var readings = Rows(results[0]);
        var predictions = Rows(results[1]);
        var anomalies = Rows(results[2]);

        var points = new SortedDictionary<long, StoredPoint>();
        foreach (var row in readings)
        {
            points[Time(row)] = new StoredPoint(DateTimeOffset.FromUnixTimeMilliseconds(Time(row)), Number(row, "value"), null, null, null);
        }

        foreach (var row in predictions)
        {
            var time = Time(row);
            var at = points.TryGetValue(time, out var point) ? point : new StoredPoint(DateTimeOffset.FromUnixTimeMilliseconds(time), null, null, null, null);
            points[time] = at with { Mean = Number(row, "yhat"), Lower = Number(row, "lower"), Upper = Number(row, "upper") };
        }

        var truncated = readings.Count > maxPoints || predictions.Count > maxPoints || points.Count > maxPoints;
        var kept = points.Values.Skip(Math.Max(0, points.Count - maxPoints)).ToList();
        var events = anomalies.Take(maxPoints).Reverse().Select(row => new Anomaly(
            sensorId,
            DateTimeOffset.FromUnixTimeMilliseconds(Time(row)),
            Number(row, "value") ?? double.NaN,
            Number(row, "expected") ?? double.NaN,
            Number(row, "lower") ?? double.NaN,
            Number(row, "upper") ?? double.NaN,
            Number(row, "score") ?? double.NaN,
            row.TryGetValue("severity", out var severity) && severity.GetString() == "critical" ? AnomalySeverity.Critical : AnomalySeverity.Warning,
            row.TryGetValue("model", out var model) ? model.GetString() ?? "" : "",
            // The anomaly point does not record its episode's start: each event stands for itself.
            DateTimeOffset.FromUnixTimeMilliseconds(Time(row)))).ToList();
        return new StoredSeries(kept, events, truncated);
    }

    /// <summary>
    /// The time (epoch ms) of every mirrored reading in [<paramref name="from"/>, <paramref name="to"/>], per sensor:
    /// what <c>forecast verify</c> compares with what entered. Read in chunks, so a long range is not one answer.
    /// </summary>
    public async Task<Dictionary<string, HashSet<long>>> ReadingTimesAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        var query = FormattableString.Invariant(
            $"SELECT \"value\" FROM \"reading\" WHERE time >= {from.ToUnixTimeMilliseconds()}ms AND time <= {to.ToUnixTimeMilliseconds()}ms GROUP BY \"sensor\"");
        using var response = await _http.GetAsync(
            $"query?db={Uri.EscapeDataString(_database)}&epoch=ms&chunked=true&chunk_size=10000&q={Uri.EscapeDataString(query)}",
            HttpCompletionOption.ResponseHeadersRead,
            cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new InfluxDbWriteException($"InfluxDB refused the query ({(int)response.StatusCode}): {body[..Math.Min(body.Length, 300)]}");
        }

        var times = new Dictionary<string, HashSet<long>>(StringComparer.Ordinal);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            using var chunk = JsonDocument.Parse(line);
            foreach (var statement in chunk.RootElement.GetProperty("results").EnumerateArray())
            {
                if (statement.TryGetProperty("error", out var error))
                {
                    throw QueryFailed(error.GetString());
                }

                if (!statement.TryGetProperty("series", out var series))
                {
                    continue;
                }

                foreach (var s in series.EnumerateArray())
                {
                    var sensor = s.GetProperty("tags").GetProperty("sensor").GetString()!;
                    if (!times.TryGetValue(sensor, out var set))
                    {
                        times[sensor] = set = [];
                    }

                    foreach (var values in s.GetProperty("values").EnumerateArray())
                    {
                        set.Add(values[0].GetInt64());
                    }
                }
            }
        }

        return times;
    }

    public void Dispose() => _http.Dispose();

    /// <summary>A statement's error; InfluxDB 1.6 says only "not executed" for a database that does not exist.</summary>
    private InfluxDbWriteException QueryFailed(string? error) => new(error == NotExecuted
        ? $"InfluxDB did not run the query: does database '{_database}' exist (InfluxDb:Database, or the bucket's 1.x mapping)?"
        : $"InfluxDB could not run the query on database '{_database}': {error}");

    /// <summary>One statement's rows as column → value maps; none when the measurement has no points in range.</summary>
    private static List<Dictionary<string, JsonElement>> Rows(JsonElement statement)
    {
        var rows = new List<Dictionary<string, JsonElement>>();
        if (!statement.TryGetProperty("series", out var series))
        {
            return rows;
        }

        foreach (var s in series.EnumerateArray())
        {
            var columns = s.GetProperty("columns").EnumerateArray().Select(c => c.GetString()!).ToArray();
            foreach (var values in s.GetProperty("values").EnumerateArray())
            {
                var row = new Dictionary<string, JsonElement>(columns.Length);
                var i = 0;
                foreach (var value in values.EnumerateArray())
                {
                    row[columns[i++]] = value.Clone();
                }

                rows.Add(row);
            }
        }

        return rows;
    }

    private static long Time(Dictionary<string, JsonElement> row) => row["time"].GetInt64();

    private static double? Number(Dictionary<string, JsonElement> row, string column) =>
        row.TryGetValue(column, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;
}
