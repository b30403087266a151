using System.Buffers;
using System.Text;
using MQTTnet;
using MQTTnet.Protocol;

namespace Forecast.Ingestion.Tests;

/// <summary>MQTT ingest of a real silo process from a real mosquitto broker.</summary>
[Collection(EdgeCollection.Name)]
public sealed class MqttIngestionTests(EdgeSilo edge)
{
    private static readonly DateTimeOffset Start = DateTimeOffset.UtcNow.AddHours(-2);

    [Fact]
    public async Task Mqtt_EveryQoS1Reading_IsAppliedOnce()
    {
        using var client = await ConnectAsync(edge.Broker.Server);
        for (var i = 0; i < 100; i++)
        {
            for (var s = 0; s < 30; s++)
            {
                var payload = $"{{\"ts\": {Start.AddSeconds(i).ToUnixTimeMilliseconds()}, \"value\": {20 + (i % 9) + s}}}";
                await client.PublishAsync(Message($"devices/mqtt-{s}/readings", payload));
            }
        }

        await edge.WaitAppliedAsync(Enumerable.Range(0, 30).Select(s => $"mqtt-{s}"), 100, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Mqtt_ABadPayload_IsDeadLetteredWithItsReason_AndTheSensorGoesOn()
    {
        using var client = await ConnectAsync(edge.Broker.Server);
        var dead = new TaskCompletionSource<MqttApplicationMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.ApplicationMessageReceivedAsync += e =>
        {
            dead.TrySetResult(e.ApplicationMessage);
            return Task.CompletedTask;
        };
        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(EdgeSilo.DeadLetterTopic, MqttQualityOfServiceLevel.AtLeastOnce).Build());

        await client.PublishAsync(Message("devices/mqtt-bad/readings", "{\"ts\": 1, \"value\": \"warm\"}"));
        await client.PublishAsync(Message("devices/mqtt-bad/readings", $"{{\"ts\": {Start.ToUnixTimeMilliseconds()}, \"value\": 3}}"));

        var letter = await dead.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(DeadLetterReason.WrongType, Property(letter, "reason"));
        Assert.Equal("devices/mqtt-bad/readings", Property(letter, "topic"));
        Assert.Contains("warm", Encoding.UTF8.GetString(letter.Payload.ToArray()), StringComparison.Ordinal);
        await edge.WaitAppliedAsync(["mqtt-bad"], 1, TimeSpan.FromSeconds(30));
    }

    internal static MqttApplicationMessage Message(string topic, string payload) => new MqttApplicationMessageBuilder()
        .WithTopic(topic)
        .WithPayload(payload)
        .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
        .Build();

    internal static async Task<IMqttClient> ConnectAsync(string server)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var colon = server.LastIndexOf(':');
        await client.ConnectAsync(new MqttClientOptionsBuilder()
            .WithTcpServer(server[..colon], int.Parse(server[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture))
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .Build());
        return client;
    }

    private static string Property(MqttApplicationMessage message, string name) =>
        Encoding.UTF8.GetString(message.UserProperties.Single(p => p.Name == name).ValueBuffer.Span);
}
