using System.Globalization;
using System.Text.Json;

namespace Forecast.Host.Tests;

/// <summary><c>/metrics</c> of a running silo, scraped by a real Prometheus (Debian's 2.42).</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task Prometheus_scrapes_the_silo_and_stores_forecast_and_Orleans_series()
    {
        var web = FreePort.Next();
        using var silo = ForecastProcess.Start(["--urls", $"http://127.0.0.1:{web}", "--sensors", "50", "--interval", "20ms", "--duration", "60s"]);
        using var prometheus = await PrometheusServer.StartAsync($"127.0.0.1:{web}");

        var deadline = DateTime.UtcNow.AddSeconds(45);
        while (!await StoredAsync(prometheus))
        {
            Assert.True(DateTime.UtcNow < deadline, $"Prometheus has no forecast_* series after 45 s.\nsilo:\n{silo.Output}\nprometheus:\n{prometheus.Log()}");
            await Task.Delay(500);
        }

        var up = Assert.Single(await prometheus.QueryAsync("up{job=\"forecast\"}"));
        Assert.Equal("1", up.GetProperty("value")[1].GetString());
        Assert.NotEmpty(await prometheus.QueryAsync("forecast_reading_latency_seconds_bucket"));
        Assert.NotEmpty(await prometheus.QueryAsync("forecast_inference_batch_size_count"));
        Assert.NotEmpty(await prometheus.QueryAsync("orleans_catalog_activations"));
        var anomalies = await prometheus.QueryAsync("sum by (severity) (forecast_anomalies_total)");
        Assert.Contains(anomalies, a => a.GetProperty("metric").GetProperty("severity").GetString() is "warning" or "critical");

        // Every query of the Grafana dashboard runs (Prometheus refuses a bad one with 400), and the ones about
        // what this silo does (no Kafka, no InfluxDB, no alerts here) have data.
        var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(DeploymentFilesTests.RepositoryRoot, "deploy/grafana/dashboards/prometheus/pipeline.json")));
        var queries = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => (Panel: p.GetProperty("title").GetString()!, Expr: t.GetProperty("expr").GetString()!)))
            .ToList();
        Assert.True(queries.Count >= 15, $"{queries.Count} queries");
        foreach (var (panel, expr) in queries)
        {
            var result = await prometheus.QueryAsync(expr);
            if (panel is "Readings applied /s" or "Reading to durable, p99" or "Active grains" or "ONNX Runtime calls" or "Silos")
            {
                Assert.True(result.Count > 0, $"{panel}: {expr} has no data");
            }
        }
    }

    private static async Task<bool> StoredAsync(PrometheusServer prometheus)
    {
        var applied = await prometheus.QueryAsync("forecast_readings_applied_total");
        var anomalies = await prometheus.QueryAsync("forecast_anomalies_total");
        // Rates need two scrapes with the histograms filled.
        var latency = await prometheus.QueryAsync("histogram_quantile(0.99, sum by (le) (rate(forecast_reading_latency_seconds_bucket[5m])))");
        return applied.Count == 1 && latency.Count == 1 && latency[0].GetProperty("value")[1].GetString() != "NaN"
            && double.Parse(applied[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture) > 0
            && anomalies.Count > 0;
    }
}
