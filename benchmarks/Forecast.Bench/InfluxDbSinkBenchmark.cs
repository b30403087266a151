using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Forecast.Abstractions;
using Forecast.Sinks.InfluxDb;

namespace Forecast.Bench;

/// <summary>The outcome of <see cref="InfluxDbSinkBenchmark.RunAsync"/>.</summary>
/// <param name="Points">Prediction points written and acknowledged.</param>
/// <param name="Requests">HTTP write requests made (batches, retries included).</param>
/// <param name="Elapsed">Wall-clock time from the first write to the last acknowledgement.</param>
/// <param name="PointsPerSecond">Points divided by elapsed seconds.</param>
/// <param name="CpuTime">CPU time this process used meanwhile (formatting, the sink, HTTP, and generating the predictions).</param>
/// <param name="CpuMicrosecondsPerPoint">CPU time per point, in microseconds.</param>
/// <param name="FailedRequests">Requests that failed and were retried.</param>
/// <param name="RejectedPoints">Points the server refused.</param>
internal sealed record InfluxDbSinkBenchmarkResult(
    long Points,
    long Requests,
    TimeSpan Elapsed,
    double PointsPerSecond,
    TimeSpan CpuTime,
    double CpuMicrosecondsPerPoint,
    long FailedRequests,
    long RejectedPoints)
{
    /// <summary>One line for a terminal.</summary>
    /// <returns>For example <c>1,000,000 points in 6.20 s: 161,290 points/s, 200 requests, CPU 2.10 µs/point</c>.</returns>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Points:N0} points in {Elapsed.TotalSeconds:0.00} s: {PointsPerSecond:N0} points/s, {Requests:N0} requests ({FailedRequests:N0} failed), {RejectedPoints:N0} rejected, CPU {CpuMicrosecondsPerPoint:0.00} µs/point ({CpuTime.TotalSeconds:0.00} s)");
}

/// <summary>
/// Measures the sink against a real server: writes synthetic predictions through the same code path as
/// the pipeline and reports throughput and this process's CPU cost per point. Backs <c>forecast bench influx</c>.
/// </summary>
internal static class InfluxDbSinkBenchmark
{
    private const int Horizon = 12;

    /// <summary>
    /// Writes <paramref name="points"/> prediction points (sensors <c>bench-0000</c>…, model
    /// <c>bench@1</c>, the steps chosen by <see cref="InfluxDbSinkOptions.StepsToWrite"/> of a
    /// 12-step horizon) from <paramref name="concurrency"/> callers, each handing the sink
    /// <paramref name="predictionsPerCall"/> predictions per call and waiting for durability, as grains do.
    /// With <see cref="InfluxDbVersion.V1"/> the database is created first when missing; with
    /// <see cref="InfluxDbVersion.V2"/> the bucket must exist. Point it at a scratch database or bucket.
    /// </summary>
    /// <param name="options">Where and how to write; validated like the host's configuration.</param>
    /// <param name="points">Prediction points to write.</param>
    /// <param name="concurrency">Callers writing at once.</param>
    /// <param name="predictionsPerCall">Predictions per <see cref="IPredictionSink.WriteAsync"/> call.</param>
    /// <param name="loggerFactory">Receives the sink's log, if given.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>Throughput and CPU cost.</returns>
    public static async Task<InfluxDbSinkBenchmarkResult> RunAsync(
        InfluxDbSinkOptions options,
        int points,
        int concurrency = 64,
        int predictionsPerCall = 100,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(points, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(predictionsPerCall, 1);

        if (options.Version == InfluxDbVersion.V1)
        {
            await CreateDatabaseAsync(options, cancellationToken).ConfigureAwait(false);
        }

        var sink = InfluxDbSink.Create(options, loggerFactory);
        await using (sink.ConfigureAwait(false))
        {
            var pointsPerPrediction = LineProtocolFormatter.From(options).CountLines(new SinkBatch([], [Prediction(0, 0, DateTimeOffset.UnixEpoch)], []));
            var predictions = (points + pointsPerPrediction - 1) / pointsPerPrediction;
            var sensors = Math.Clamp(predictions / 100, 1, 10_000);
            var start = DateTimeOffset.UtcNow.AddDays(-1);
            start = new DateTimeOffset(start.Ticks - (start.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
            var next = -1;

            var process = Process.GetCurrentProcess();
            process.Refresh();
            var cpuBefore = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();

            async Task CallerAsync()
            {
                var buffer = new List<Prediction>(predictionsPerCall);
                while (true)
                {
                    buffer.Clear();
                    while (buffer.Count < predictionsPerCall)
                    {
                        var index = Interlocked.Increment(ref next);
                        if (index >= predictions)
                        {
                            break;
                        }

                        buffer.Add(Prediction(index % sensors, index / sensors, start));
                    }

                    if (buffer.Count == 0)
                    {
                        return;
                    }

                    await sink.WriteAsync(new SinkBatch([], [.. buffer], []), cancellationToken).ConfigureAwait(false);
                }
            }

            var callers = new Task[concurrency];
            for (var i = 0; i < concurrency; i++)
            {
                callers[i] = Task.Run(CallerAsync, cancellationToken);
            }

            await Task.WhenAll(callers).ConfigureAwait(false);
            clock.Stop();
            process.Refresh();
            var cpu = process.TotalProcessorTime - cpuBefore;
            var written = sink.Health.WrittenPoints;
            return new InfluxDbSinkBenchmarkResult(
                written,
                sink.Health.Requests,
                clock.Elapsed,
                written / clock.Elapsed.TotalSeconds,
                cpu,
                written == 0 ? 0 : cpu.TotalMicroseconds / written,
                sink.Health.FailedRequests,
                sink.Health.RejectedPoints);
        }
    }

    private static Prediction Prediction(int sensor, int sequence, DateTimeOffset start)
    {
        var issued = start.AddSeconds(sequence);
        var steps = new ForecastStep[Horizon];
        var level = 20 + (sensor % 50) + (5 * Math.Sin(sequence / 60.0));
        for (var s = 0; s < Horizon; s++)
        {
            var mean = level + (0.01 * s);
            steps[s] = new ForecastStep(s + 1, issued.AddSeconds(s + 1), mean, mean - 1.5 - (0.1 * s), mean + 1.5 + (0.1 * s));
        }

        return new Prediction(string.Create(CultureInfo.InvariantCulture, $"bench-{sensor:D4}"), "bench@1", issued, steps);
    }

    /// <summary>Runs <c>CREATE DATABASE</c> (a no-op when it exists) on a 1.x server.</summary>
    internal static async Task CreateDatabaseAsync(InfluxDbSinkOptions options, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = options.RequestTimeout };
        var token = !string.IsNullOrWhiteSpace(options.Token)
            ? options.Token
            : !string.IsNullOrWhiteSpace(options.TokenFile) ? (await File.ReadAllTextAsync(options.TokenFile, cancellationToken).ConfigureAwait(false)).Trim() : null;
        if (!string.IsNullOrEmpty(token))
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", token);
        }
        else if (!string.IsNullOrEmpty(options.Username))
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
                "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.Username}:{options.Password}")));
        }

        var name = options.Database!.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
        using var content = new FormUrlEncodedContent([new KeyValuePair<string, string>("q", $"CREATE DATABASE \"{name}\"")]);
        using var response = await http.PostAsync(new Uri(new Uri(options.Url!.TrimEnd('/') + "/"), "query"), content, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new InfluxDbWriteException($"CREATE DATABASE on {options.Url} failed with HTTP {(int)response.StatusCode}: {WriteOutcome.ErrorFromBody(body)}");
        }
    }
}
