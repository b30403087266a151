using Confluent.Kafka;

namespace Forecast.Ingestion.Kafka.Tests;

public sealed class KafkaMockClusterTests
{
    [Fact]
    public async Task Start_GivesABrokerThatOtherClientsProduceToAndConsumeFrom()
    {
        using var cluster = KafkaMockCluster.Start();
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = cluster.BootstrapServers }).Build();
        for (var i = 0; i < 10; i++)
        {
            await producer.ProduceAsync("probe", new Message<string, string> { Key = $"k{i}", Value = $"v{i}" });
        }

        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            GroupId = "probe",
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        consumer.Subscribe("probe");
        var seen = new HashSet<string>();
        var partitions = new HashSet<int>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (seen.Count < 10 && DateTime.UtcNow < deadline)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is not null)
            {
                seen.Add(result.Message.Value);
                partitions.Add(result.Partition.Value);
            }
        }

        Assert.Equal(10, seen.Count);
        Assert.True(partitions.Count > 1);
        Assert.Contains(",", cluster.BootstrapServers);
    }
}
