using System.Text.Json;

namespace Forecast.Sinks.InfluxDb.Tests;

/// <summary>
/// The dashboards of <c>deploy/grafana</c>: well formed, bound to the provisioned data sources, and every
/// InfluxQL query runs on a real InfluxDB 1.x and finds data written through the sink.
/// </summary>
[Collection(InfluxCollection.Name)]
public sealed class GrafanaDashboardsTests(InfluxServerFixture fixture)
{
    private static readonly string Grafana = FindGrafanaFolder();

    private static string FindGrafanaFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "deploy", "grafana");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"deploy/grafana not found above {AppContext.BaseDirectory}.");
    }

    private static IEnumerable<(string Language, string File, JsonElement Dashboard)> Dashboards()
    {
        foreach (var language in (string[])["flux", "influxql"])
        {
            foreach (var file in Directory.GetFiles(Path.Combine(Grafana, "dashboards", language), "*.json").Order())
            {
                using var json = JsonDocument.Parse(File.ReadAllText(file));
                yield return (language, Path.GetFileName(file), json.RootElement.Clone());
            }
        }
    }

    /// <summary>Every query in a dashboard: panel targets, template variables and annotations.</summary>
    private static IEnumerable<(string Where, string DataSource, string Query)> Queries(JsonElement dashboard)
    {
        foreach (var panel in dashboard.GetProperty("panels").EnumerateArray())
        {
            foreach (var target in panel.GetProperty("targets").EnumerateArray())
            {
                yield return ($"panel '{panel.GetProperty("title").GetString()}'", target.GetProperty("datasource").GetProperty("uid").GetString()!, target.GetProperty("query").GetString()!);
            }
        }

        foreach (var variable in dashboard.GetProperty("templating").GetProperty("list").EnumerateArray())
        {
            yield return ($"variable '{variable.GetProperty("name").GetString()}'", variable.GetProperty("datasource").GetProperty("uid").GetString()!, variable.GetProperty("query").GetString()!);
        }

        foreach (var annotation in dashboard.GetProperty("annotations").GetProperty("list").EnumerateArray())
        {
            if (annotation.TryGetProperty("builtIn", out _))
            {
                continue;
            }

            var query = annotation.TryGetProperty("query", out var q) ? q.GetString()! : annotation.GetProperty("target").GetProperty("query").GetString()!;
            yield return ($"annotation '{annotation.GetProperty("name").GetString()}'", annotation.GetProperty("datasource").GetProperty("uid").GetString()!, query);
        }
    }

    [Fact]
    public void Dashboards_CoverEachViewInBothLanguagesWithTheProvisionedDataSources()
    {
        var provisioning = File.ReadAllText(Path.Combine(Grafana, "provisioning", "datasources", "forecast-influxdb.yaml"));
        var dashboards = Dashboards().ToList();

        Assert.Equal(
            ["flux/fleet-overview.json", "flux/model-health.json", "flux/sensor.json", "influxql/fleet-overview.json", "influxql/model-health.json", "influxql/sensor.json"],
            dashboards.Select(d => $"{d.Language}/{d.File}"));
        Assert.Equal(dashboards.Count, dashboards.Select(d => d.Dashboard.GetProperty("uid").GetString()).Distinct().Count());
        foreach (var (language, file, dashboard) in dashboards)
        {
            var uid = $"forecast-{language}";
            Assert.Contains($"uid: {uid}", provisioning, StringComparison.Ordinal);
            foreach (var (where, dataSource, query) in Queries(dashboard))
            {
                Assert.True(dataSource == uid, $"{language}/{file} {where} uses data source {dataSource}, not {uid}");
                Assert.False(string.IsNullOrWhiteSpace(query), $"{language}/{file} {where} has no query");
                Assert.True(language == "flux" == query.Contains("v.defaultBucket", StringComparison.Ordinal) || query.Contains("SHOW TAG", StringComparison.Ordinal),
                    $"{language}/{file} {where} is not a {language} query: {query}");
            }
        }

        var sensor = dashboards.Where(d => d.File == "sensor.json").ToList();
        Assert.All(sensor, d => Assert.Contains(d.Dashboard.GetProperty("templating").GetProperty("list").EnumerateArray(), v => v.GetProperty("name").GetString() == "sensor"));
        Assert.All(sensor, d => Assert.Equal(2, d.Dashboard.GetProperty("annotations").GetProperty("list").GetArrayLength()));
    }

    [Fact]
    public async Task InfluxQlQueries_RunOnInfluxDb1AndFindTheSinksData()
    {
        var server = fixture.Server;
        var database = await server.CreateDatabaseAsync("grafana");
        var options = TestData.V1(server.Url, database);
        options.StepsToWrite = "all";

        // Ten minutes of three sensors up to now, with anomalies of both severities.
        var now = DateTimeOffset.UtcNow;
        var start = new DateTimeOffset(now.Ticks - (now.Ticks % (TimeSpan.TicksPerSecond * 10)), TimeSpan.Zero).AddMinutes(-10);
        await using (var sink = InfluxDbSink.Create(options))
        {
            foreach (var sensor in (string[])["sensor-1", "sensor-2", "sensor-3"])
            {
                var readings = Enumerable.Range(0, 60).Select(i => new SensorReading(sensor, start.AddSeconds(10 * i), 20 + Math.Sin(i / 5.0))).ToList();
                var predictions = readings.Select(r => new Prediction(sensor, "lstm@1.0.0", r.Timestamp, [.. Enumerable.Range(1, 3).Select(s =>
                    new ForecastStep(s, r.Timestamp.AddSeconds(10 * s), r.Value + 0.1, r.Value - 1, r.Value + 1))])).ToList();
                var anomalies = new List<Anomaly>
                {
                    new(sensor, start.AddMinutes(8), 30, 20, 19, 21, 9, AnomalySeverity.Warning, "lstm@1.0.0", start.AddMinutes(8)),
                    new(sensor, start.AddMinutes(9), 35, 20, 19, 21, 15, AnomalySeverity.Critical, "lstm@1.0.0", start.AddMinutes(8)),
                };
                await sink.WriteAsync(new SinkBatch(readings, predictions, anomalies));
            }

            // The model registry's live error per version, as it writes it every 10 s.
            await sink.WriteAsync(new SinkBatch([], [], [], [new ModelMetrics("lstm@1.0.0", "primary", start.AddMinutes(9), 5_000, 0.3, 0.9)]));
        }

        var failures = new List<string>();
        foreach (var (_, file, dashboard) in Dashboards().Where(d => d.Language == "influxql"))
        {
            foreach (var (where, _, query) in Queries(dashboard))
            {
                var sql = query
                    .Replace("$timeFilter", "time > now() - 1h AND time < now() + 1h", StringComparison.Ordinal)
                    .Replace("$__interval_ms", "10000", StringComparison.Ordinal)
                    .Replace("$__interval", "10s", StringComparison.Ordinal)
                    .Replace("$sensor", "sensor-2", StringComparison.Ordinal)
                    .Replace("$step", "1", StringComparison.Ordinal);
                Assert.DoesNotMatch(@"\$[A-Za-z_{]", sql);
                try
                {
                    var series = await server.QueryAsync(database, sql);
                    if (series.Count == 0 || series.All(s => s.Rows.Count == 0))
                    {
                        failures.Add($"{file} {where}: no data for {sql}");
                    }
                }
                catch (InvalidOperationException ex)
                {
                    failures.Add($"{file} {where}: {ex.Message}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }
}
