using System.Diagnostics;
using System.Text;
using Confluent.Kafka;

namespace Forecast.Ingestion.Kafka.Tests;

/// <summary>
/// A Kafka message's W3C <c>traceparent</c> continues through the silo: with <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set,
/// the silo exports spans of that trace, and metrics, over OTLP to a real HTTP receiver.
/// </summary>
public sealed class TracingTests
{
    [Fact]
    public async Task A_messages_trace_is_continued_and_exported_over_OTLP_with_the_metrics()
    {
        using var cluster = KafkaMockCluster.Start();
        await using var collector = await HttpReceiver.StartAsync();
        var trace = ActivityTraceId.CreateRandom();
        var traceparent = $"00-{trace.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01";
        var messages = Traffic.Readings(sensors: 3, perSensor: 20).ToList();
        messages.ForEach(m => m.Headers = new Headers { { "traceparent", Encoding.ASCII.GetBytes(traceparent) } });
        await Traffic.ProduceAsync(cluster.BootstrapServers, messages);

        using var silo = ForecastProcess.Run(cluster.BootstrapServers, new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{collector.Port}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000",
        });

        var traceBytes = Convert.FromHexString(trace.ToHexString());
        await KafkaPipeline.WaitUntilAsync(
            () => collector.Requests.Any(r => r.Path == "/v1/traces" && Contains(r.Raw, traceBytes))
                && collector.Requests.Any(r => r.Path == "/v1/traces" && Contains(r.Raw, "sink.write"u8.ToArray()))
                && collector.Requests.Any(r => r.Path == "/v1/metrics" && Contains(r.Raw, "forecast.readings.applied"u8.ToArray()))
                && collector.Requests.Any(r => r.Path == "/v1/metrics" && Contains(r.Raw, "forecast.kafka.lag"u8.ToArray())),
            TimeSpan.FromSeconds(60),
            () => $"OTLP requests: {string.Join(", ", collector.Requests.Select(r => r.Path).Distinct())}; silo output:\n{silo.Output}");

        var spans = collector.Requests.Where(r => r.Path == "/v1/traces").Select(r => r.Raw).ToList();
        Assert.Contains(spans, raw => Contains(raw, "kafka.process"u8.ToArray()));
        Assert.Contains(spans, raw => Contains(raw, "sensor.apply"u8.ToArray()));
        Assert.Contains(spans, raw => Contains(raw, "sink.write"u8.ToArray()));
        Assert.Contains(collector.Requests, r => r.Path == "/v1/metrics" && Contains(r.Raw, "forecast.kafka.lag"u8.ToArray()));
        Assert.All(collector.Requests, r => Assert.Equal("application/x-protobuf", r.Headers["content-type"]));
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("00-not-a-trace-01")]
    [InlineData("")]
    public void A_bad_traceparent_header_continues_no_trace_and_throws_nothing(string header)
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ForecastTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
        };
        ActivitySource.AddActivityListener(listener);
        var good = $"00-{ActivityTraceId.CreateRandom().ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01";

        Assert.Equal(default, KafkaIngestionService.TraceOf(new Message<byte[], byte[]> { Headers = new Headers { { "traceparent", Encoding.ASCII.GetBytes(header) } } }));
        Assert.Equal(default, KafkaIngestionService.TraceOf(new Message<byte[], byte[]>()));
        Assert.Equal(good[3..35], KafkaIngestionService.TraceOf(new Message<byte[], byte[]> { Headers = new Headers { { "traceparent", Encoding.ASCII.GetBytes(good) } } }).TraceId.ToHexString());
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
