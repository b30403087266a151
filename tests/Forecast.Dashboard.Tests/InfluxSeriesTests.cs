using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Forecast.Dashboard.Tests;

/// <summary>With InfluxDB configured, the sensor view's series is read back from a real InfluxDB 1.x, not from memory.</summary>
public sealed class InfluxSeriesTests
{
    [Fact]
    public async Task The_series_comes_from_InfluxDB_with_forecasts_and_anomalies_and_an_unknown_sensor_is_404()
    {
        await using var influx = await InfluxServer.StartAsync();
        var database = await influx.CreateDatabaseAsync("dashboard");
        var web = FreePort.Next();
        using var silo = ForecastProcess.Start(
        [
            "--urls", $"http://127.0.0.1:{web}", "--sensors", "20", "--interval", "20ms",
            "--InfluxDb:Url", influx.Url, "--InfluxDb:Version", "V1", "--InfluxDb:Database", database,
        ]);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{web}"), Timeout = TimeSpan.FromSeconds(10) };

        JsonElement series = default;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!(series.ValueKind == JsonValueKind.Object && series.GetProperty("points").GetInt32() > 100 && series.GetProperty("anomalies").GetArrayLength() > 0))
        {
            Assert.True(DateTime.UtcNow < deadline, $"no series with anomalies from InfluxDB after 60 s: {series}\n{silo.Output}");
            await Task.Delay(500);
            try
            {
                var anomalies = await http.GetFromJsonAsync<JsonElement>("/api/anomalies?limit=1");
                if (anomalies.GetArrayLength() == 1)
                {
                    var sensor = anomalies[0].GetProperty("sensor").GetString();
                    series = await http.GetFromJsonAsync<JsonElement>($"/api/sensors/{sensor}/series?from=-1h");
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
        }

        Assert.Equal("influxdb", series.GetProperty("source").GetString());
        Assert.Contains(series.GetProperty("mean").EnumerateArray(), m => m.ValueKind == JsonValueKind.Number);
        Assert.Contains(series.GetProperty("upper").EnumerateArray(), m => m.ValueKind == JsonValueKind.Number);
        using var unknown = await http.GetAsync("/api/sensors/no/such/sensor/series");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("influxdb holds nothing for sensor 'no/such/sensor'", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
