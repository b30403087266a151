using Confluent.Kafka;

namespace Forecast.Testing;

/// <summary>
/// librdkafka's built-in mock cluster: a Kafka-protocol broker set on loopback that lives as long as
/// this object. Other clients and processes join it through <see cref="BootstrapServers"/>. Topics are
/// created on first produce, with <see cref="Partitions"/> partitions. For tests, demos and benchmarks.
/// </summary>
public sealed class KafkaMockCluster : IDisposable
{
    /// <summary>Partitions of every topic the mock cluster creates.</summary>
    public const int Partitions = 4;

    private readonly IProducer<byte[], byte[]> _holder;

    private KafkaMockCluster(IProducer<byte[], byte[]> holder, string bootstrapServers)
    {
        _holder = holder;
        BootstrapServers = bootstrapServers;
    }

    /// <summary>The cluster's bootstrap list, for example <c>127.0.0.1:37001,127.0.0.1:37002,127.0.0.1:37003</c>.</summary>
    public string BootstrapServers { get; }

    /// <summary>Starts a cluster of <paramref name="brokers"/> brokers; fails loudly when it does not come up.</summary>
    public static KafkaMockCluster Start(int brokers = 3, TimeSpan? timeout = null)
    {
        var bootstrap = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        const string Marker = "replaced with ";
        var config = new ProducerConfig
        {
            BootstrapServers = "127.0.0.1:1",
        };
        config.Set("test.mock.num.brokers", brokers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        config.Set("test.mock.broker.rtt", "0");
        var holder = new ProducerBuilder<byte[], byte[]>(config)
            .SetLogHandler((_, message) =>
            {
                var at = message.Message.IndexOf(Marker, StringComparison.Ordinal);
                if (message.Message.Contains("Mock cluster enabled", StringComparison.Ordinal) && at >= 0)
                {
                    bootstrap.TrySetResult(message.Message[(at + Marker.Length)..].Trim());
                }
            })
            .Build();
        if (!bootstrap.Task.Wait(timeout ?? TimeSpan.FromSeconds(30)))
        {
            holder.Dispose();
            throw new InvalidOperationException("librdkafka's mock cluster did not report its bootstrap servers within the timeout.");
        }

        return new KafkaMockCluster(holder, bootstrap.Task.Result);
    }

    /// <inheritdoc />
    public void Dispose() => _holder.Dispose();
}
