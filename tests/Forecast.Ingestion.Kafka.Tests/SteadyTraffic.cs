using Confluent.Kafka;

namespace Forecast.Ingestion.Kafka.Tests;

/// <summary>
/// The setting of the silo-process tests: a mock cluster fed readings at a steady pace (<paramref name="slice"/>
/// readings every 500 ms) while the predictions topic and the group's commits are followed.
/// </summary>
internal sealed class SteadyTraffic(int sensors, int perSensor, int slice) : IDisposable
{
    public KafkaMockCluster Cluster { get; } = KafkaMockCluster.Start();

    public IReadOnlyList<Message<string, byte[]>> Readings { get; } = [.. Traffic.Readings(sensors, perSensor)];

    public SiloCrashTests.TopicProbe Topics { get; private set; } = null!;

    /// <summary>Completes when every reading has been produced.</summary>
    public Task Production { get; private set; } = Task.CompletedTask;

    public string BootstrapServers => Cluster.BootstrapServers;

    public SteadyTraffic Start()
    {
        Production = Traffic.ProduceSteadilyAsync(BootstrapServers, Readings, slice, TimeSpan.FromMilliseconds(500));
        Topics = new SiloCrashTests.TopicProbe(BootstrapServers).Start();
        return this;
    }

    /// <summary>Waits for <paramref name="done"/>, failing with the topics and <paramref name="silo"/>'s output.</summary>
    public Task WaitAsync(Func<bool> done, TimeSpan timeout, ForecastProcess silo) => SiloCrashTests.WaitAsync(done, timeout, silo, Topics);

    public void Dispose()
    {
        Topics?.Dispose();
        Cluster.Dispose();
    }
}
