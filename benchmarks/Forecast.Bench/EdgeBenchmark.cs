using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using Forecast.Diagnostics;
using Forecast.Host.Hosting;
using Forecast.Inference.Onnx;
using Forecast.Ingestion;
using Forecast.Ingestion.Http;
using Forecast.Sinks.Embedded;
using Forecast.Testing;

namespace Forecast.Bench;

/// <summary>
/// <c>bench edge</c>: HTTP ingest of batched, gzipped line protocol into the embedded pipeline at 10,000 sensors,
/// as Telegraf writes it: readings/s answered 204 (each one applied by its grain, its prediction durable), to set
/// beside <c>bench kafka</c> on the same machine.
/// </summary>
internal static class EdgeBenchmark
{
    private static readonly DateTimeOffset Epoch = DateTimeOffset.UtcNow.AddDays(-30);

    public static async Task<int> RunAsync(string[] args)
    {
        var port = FreePort.Next();
        var builder = ForecastHostBuilder.CreateWeb(args, new Dictionary<string, string?>
        {
            ["Simulator:Sensors"] = "10000",
            ["Urls"] = $"http://127.0.0.1:{port}",
        });
        builder.AddForecastSilo();
        builder.AddEmbeddedStore();
        builder.Services.AddGrainReadingWriter();
        builder.AddHttpIngestion();
        var sensors = builder.Configuration.GetValue("Simulator:Sensors", 10_000);
        var perRequest = builder.Configuration.GetValue("Bench:ReadingsPerRequest", 1_000);
        // An agent that flushes every few collection intervals sends several readings of each sensor at once.
        var ticksPerRequest = builder.Configuration.GetValue("Bench:TicksPerRequest", 4);
        var senders = builder.Configuration.GetValue("Bench:Senders", 10);
        var seconds = builder.Configuration.GetValue("Bench:Seconds", 20.0);
        if (sensors < 1 || perRequest < 1 || ticksPerRequest < 1 || ticksPerRequest > perRequest || senders < 1 || seconds <= 0)
        {
            throw new ArgumentException("--sensors, --Bench:ReadingsPerRequest, --Bench:TicksPerRequest (at most the readings per request), --Bench:Senders and --Bench:Seconds must be positive.");
        }

        await using var host = builder.Build();
        host.MapHttpIngestion();
        await host.StartAsync();
        var metrics = host.Services.GetRequiredService<PipelineMetrics>();
        var store = host.Services.GetRequiredService<EmbeddedStore>();
        var model = host.Services.GetRequiredService<BatchingForecaster>().Model;
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        Console.Error.WriteLine($"bench edge: {sensors:N0} sensors, {perRequest:N0} readings per request ({ticksPerRequest} per sensor; gzip line protocol), {senders} senders, model {model.Id}");

        // Sender k owns the slices k, k + senders, ... of the sensors and sends their ticks in order, so every
        // sensor's readings arrive in order (a late one would be ignored, not applied).
        var perSlice = Math.Max(1, perRequest / ticksPerRequest);
        var slices = (sensors + perSlice - 1) / perSlice;
        if (slices < senders)
        {
            throw new ArgumentException($"{sensors} sensors make {slices} requests per round; use at most that many --Bench:Senders.");
        }

        // The measured bodies are made first, as bench kafka's backlog is: what is timed is the silo, not the client.
        var warmup = (model.Warmup + 4 + ticksPerRequest - 1) / ticksPerRequest * ticksPerRequest;
        var ticks = builder.Configuration.GetValue("Bench:Ticks", 160) / ticksPerRequest * ticksPerRequest;
        (int First, int Count) Slice(int slice) => (slice * perSlice, Math.Min(perSlice, sensors - (slice * perSlice)));
        var bodies = new Dictionary<(long Tick, int Slice), byte[]>();
        for (var tick = warmup; tick < warmup + ticks; tick += ticksPerRequest)
        {
            for (var slice = 0; slice < slices; slice++)
            {
                bodies[(tick, slice)] = Body(tick, ticksPerRequest, Slice(slice));
            }
        }

        async Task<long> SendAsync(int sender, long fromTick, Func<long, bool> more)
        {
            var sent = 0L;
            for (var tick = fromTick; more(tick); tick += ticksPerRequest)
            {
                for (var slice = sender; slice < slices; slice += senders)
                {
                    using var content = new ByteArrayContent(bodies.TryGetValue((tick, slice), out var body) ? body : Body(tick, ticksPerRequest, Slice(slice)));
                    content.Headers.ContentEncoding.Add("gzip");
                    using var response = await http.PostAsync("/api/v2/write?precision=s", content);
                    sent += response.StatusCode == HttpStatusCode.NoContent
                        ? Slice(slice).Count * ticksPerRequest
                        : throw new InvalidOperationException($"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }
            }

            return sent;
        }

        // Warm-up: every sensor through the model's warm-up, not measured.
        await Task.WhenAll(Enumerable.Range(0, senders).Select(k => SendAsync(k, 0, tick => tick < warmup)));

        var applied = metrics.Applied;
        var started = Stopwatch.GetTimestamp();
        var deadline = started + (long)(seconds * Stopwatch.Frequency);
        var counts = await Task.WhenAll(Enumerable.Range(0, senders).Select(k => SendAsync(k, warmup, tick => tick < warmup + ticks && Stopwatch.GetTimestamp() < deadline)));
        var readings = counts.Sum();
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var rate = readings / elapsed;
        Console.Error.WriteLine($"  {readings:N0} readings in {elapsed:N1} s: {rate:N0} readings/s; p99 grain latency {metrics.Latency.PercentileMs(0.99):N1} ms");
        await host.StopAsync();
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            sensors,
            readingsPerRequest = perSlice * ticksPerRequest,
            ticksPerRequest,
            senders,
            readingsPerSecond = Math.Round(rate),
            applied = metrics.Applied - applied,
            predictions = store.Predictions,
            failedCalls = metrics.FailedCalls,
            processors = Environment.ProcessorCount,
        }));
        return metrics.FailedCalls == 0 ? 0 : 1;
    }

    /// <summary>Readings of ticks <paramref name="tick"/> onwards for a slice of sensors, gzipped line protocol, in time order.</summary>
    private static byte[] Body(long tick, int ticks, (int First, int Count) sensors)
    {
        var text = new StringBuilder(sensors.Count * ticks * 48);
        for (var t = tick; t < tick + ticks; t++)
        {
            var seconds = Epoch.AddMinutes(t).ToUnixTimeSeconds();
            for (var s = sensors.First; s < sensors.First + sensors.Count; s++)
            {
                var value = 20 + (5 * Math.Sin((t / 12.0) + s)) + (s % 13);
                text.Append(CultureInfo.InvariantCulture, $"temperature,sensor=edge-{s} value={value:F3} {seconds}\n");
            }
        }

        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text.ToString()));
        }

        return compressed.ToArray();
    }
}
