using System.Text.Json;
using Forecast.Host.Hosting;
using Forecast.Sinks.InfluxDb;

namespace Forecast.Bench;

/// <summary>
/// <c>forecast bench influx</c>: prediction points/s through the InfluxDB sink to a real server, and
/// the sink's CPU cost per point. Defaults to InfluxDB 1.x on <c>http://127.0.0.1:8086</c>, database
/// <c>forecast_bench</c> (created when missing).
/// </summary>
internal static class InfluxBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var configuration = ForecastHostBuilder.Create(args, new Dictionary<string, string?>
        {
            ["InfluxDb:Url"] = "http://127.0.0.1:8086",
            ["InfluxDb:Version"] = "V1",
            ["InfluxDb:Database"] = "forecast_bench",
        }).Configuration;
        var options = configuration.GetSection(InfluxDbSinkOptions.SectionName).Get<InfluxDbSinkOptions>()
            ?? throw new ArgumentException("The InfluxDb section is empty.");
        var points = configuration.GetValue("Bench:Points", 1_000_000);
        var concurrency = configuration.GetValue("Bench:Concurrency", 64);
        var perCall = configuration.GetValue("Bench:PredictionsPerCall", 100);
        Console.Error.WriteLine($"bench influx: {points:N0} points to {options.Url} ({options.Version}), {concurrency} callers x {perCall} predictions, batches of {options.BatchSize}");

        var result = await InfluxDbSinkBenchmark.RunAsync(options, points, concurrency, perCall);
        Console.Error.WriteLine($"  {result}");
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            points = result.Points,
            pointsPerSecond = Math.Round(result.PointsPerSecond),
            cpuMicrosecondsPerPoint = Math.Round(result.CpuMicrosecondsPerPoint, 2),
            requests = result.Requests,
            failedRequests = result.FailedRequests,
            rejectedPoints = result.RejectedPoints,
            seconds = Math.Round(result.Elapsed.TotalSeconds, 2),
            batchSize = options.BatchSize,
            processors = Environment.ProcessorCount,
        }));
        return result.RejectedPoints == 0 ? 0 : 1;
    }
}
