using System.Globalization;
using MQTTnet;
using MQTTnet.Protocol;

namespace Forecast.Ingestion.Kafka.Tests;

/// <summary>
/// MQTT at QoS 1 into Kafka: a silo killed with SIGKILL while devices publish loses no message the broker accepted.
/// The silo acknowledges a message only once Kafka holds its reading, so the broker gives the rest to the restarted silo.
/// </summary>
public sealed class MqttSiloCrashTests(MosquittoFixture broker, ITestOutputHelper output) : IClassFixture<MosquittoFixture>
{
    private const int Sensors = 30;
    private const int PerSensor = 100;

    [Fact]
    public async Task Silo_KilledDuringQoS1Publishing_TurnsEveryAcceptedMessageIntoAReading()
    {
        using var cluster = KafkaMockCluster.Start();
        using var topics = new SiloCrashTests.TopicProbe(cluster.BootstrapServers).Start();
        // The same client id after the restart: the broker kept that session's unacknowledged and queued messages.
        string[] mqtt = ["--mqtt", broker.Server, "--Mqtt:ClientId", $"forecast-crash-{Guid.NewGuid():N}"];
        var first = ForecastProcess.Run(cluster.BootstrapServers, mqtt);
        Task publishing;
        try
        {
            await KafkaPipeline.WaitUntilAsync(() => first.CountLines("MQTT: subscribed") > 0, TimeSpan.FromMinutes(1), () => first.Output);
            publishing = PublishAsync(broker.Server);
            await SiloCrashTests.WaitAsync(() => topics.Predictions() >= 600, TimeSpan.FromMinutes(1), first, topics);
            output.WriteLine($"at the kill: {topics.Describe()}");
            Assert.False(publishing.IsCompleted, "publishing ended before the kill; the crash was not mid-stream");
            first.Kill();
        }
        finally
        {
            first.Dispose();
        }

        using var second = ForecastProcess.Run(cluster.BootstrapServers, mqtt);
        await publishing;
        await SiloCrashTests.WaitAsync(() => topics.Produced() >= Sensors * PerSensor && topics.CaughtUp(), TimeSpan.FromMinutes(2), second, topics);
        var (messages, covered) = topics.ReadPredictions();
        output.WriteLine($"{covered.Count} readings predicted, {messages} prediction messages, {topics.Produced()} readings in Kafka (redelivered ones included)");
        Assert.True(covered.Count == Sensors * PerSensor, $"{Sensors * PerSensor - covered.Count} accepted messages have no prediction; {topics.Describe()}\nsilo:\n{second.Output}");
    }

    /// <summary>3,000 readings at about 500 a second, each acknowledged by the broker (QoS 1) before the next.</summary>
    private static async Task PublishAsync(string server)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        var colon = server.LastIndexOf(':');
        await client.ConnectAsync(new MqttClientOptionsBuilder()
            .WithTcpServer(server[..colon], int.Parse(server[(colon + 1)..], CultureInfo.InvariantCulture))
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .Build());
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        for (var i = 0; i < PerSensor; i++)
        {
            for (var s = 0; s < Sensors; s++)
            {
                var payload = $"{{\"ts\": {start.AddSeconds(i).ToUnixTimeMilliseconds()}, \"value\": {20 + (i % 11) + s}}}";
                var result = await client.PublishAsync(new MqttApplicationMessageBuilder()
                    .WithTopic($"devices/mqtt-crash-{s}/readings")
                    .WithPayload(payload)
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                    .Build());
                Assert.True(result.IsSuccess, $"the broker refused a publish: {result.ReasonCode}");
            }

            await Task.Delay(60);
        }
    }
}
