using System.Globalization;

namespace Forecast.Faults;

/// <summary>
/// The setting every fault runs in: librdkafka's mock cluster (in a process of its own), Redis (clustering and sensor state), InfluxDB 1.x
/// (predictions and the readings mirror) and <see cref="Settings.Silos"/> <c>forecast run</c> processes. Each silo
/// keeps its ports across restarts, as a systemd unit or a StatefulSet pod does, so a restarted silo supersedes
/// its dead generation.
/// </summary>
internal sealed class Rig : IAsyncDisposable
{
    private readonly List<SiloSlot> _silos = [];

    private Rig(Settings settings, BrokerProcess kafka, RedisFixture redis, InfluxServer influx, string database)
    {
        Settings = settings;
        Kafka = kafka;
        Redis = redis;
        Influx = influx;
        Database = database;
        InfluxUrl = influx.Url;
    }

    public Settings Settings { get; }

    public BrokerProcess Kafka { get; }

    public RedisFixture Redis { get; }

    public InfluxServer Influx { get; }

    public string Database { get; }

    /// <summary>Where silos started from now on write; a proxy's address in front of <see cref="Influx"/>, or its own.</summary>
    public string InfluxUrl { get; set; }

    /// <summary>Arguments a scenario adds to each silo's (a folder of its own, say).</summary>
    public Func<SiloSlot, IEnumerable<string>> SiloExtras { get; set; } = _ => [];

    /// <summary>Set above 0: the producer sends spikes every that many rounds (<see cref="Producer"/>), so alerts happen.</summary>
    public int SpikeEvery { get; set; }

    public string ClusterId { get; } = $"faults-{Guid.NewGuid():N}"[..16];

    /// <summary>The key of model management (<c>--Api:KeyFile</c>), as a data scientist deploying would hold it.</summary>
    public string ApiKey { get; } = $"faults-{Guid.NewGuid():N}";

    private string KeyFile { get; } = Path.GetTempFileName();

    /// <summary>The slots so far (a copy: the storm adds one while the timeline samples).</summary>
    public IReadOnlyList<SiloSlot> Silos
    {
        get
        {
            lock (_silos)
            {
                return [.. _silos];
            }
        }
    }

    public static async Task<Rig> StartAsync(Settings settings)
    {
        var kafka = await BrokerProcess.StartAsync();
        var redis = new RedisFixture();
        await redis.InitializeAsync();
        var influx = await InfluxServer.StartAsync();
        var database = await influx.CreateDatabaseAsync("faults");
        var rig = new Rig(settings, kafka, redis, influx, database);
        await File.WriteAllTextAsync(rig.KeyFile, $"{rig.ApiKey} faults\n");
        return rig;
    }

    /// <summary>Starts one more silo on ports of its own and returns its slot.</summary>
    public SiloSlot AddSilo()
    {
        SiloSlot slot;
        lock (_silos)
        {
            slot = new SiloSlot(_silos.Count + 1, FreePort.Next(), FreePort.Next(), FreePort.Next(), this);
            _silos.Add(slot);
        }

        slot.Start();
        return slot;
    }

    /// <summary>The arguments of every silo: Kafka in, InfluxDB out, clustered through Redis.</summary>
    internal string[] SiloArguments(SiloSlot slot) =>
    [
        "--kafka", Kafka.BootstrapServers,
        "--Orleans:Redis", Redis.ConnectionString,
        "--Orleans:ClusterId", ClusterId,
        "--Orleans:SiloPort", slot.SiloPort.ToString(CultureInfo.InvariantCulture),
        "--Orleans:GatewayPort", slot.GatewayPort.ToString(CultureInfo.InvariantCulture),
        "--urls", slot.Url,
        "--InfluxDb:Url", InfluxUrl,
        "--InfluxDb:Version", "V1",
        "--InfluxDb:Database", Database,
        "--Api:KeyFile", KeyFile,
        .. SiloExtras(slot),
        .. Settings.SiloOptions,
        // Static membership: a restarted silo rejoins the consumer group under its old name.
        .. Settings.StaticMembership ? ["--Kafka:Consumer:group.instance.id", $"silo-{slot.Number}"] : Array.Empty<string>(),
    ];

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in Silos)
        {
            silo.Dispose();
        }

        await Influx.DisposeAsync();
        await Redis.DisposeAsync();
        Kafka.Dispose();
        File.Delete(KeyFile);
    }
}

/// <summary>One silo's place in the rig: its ports stay, its process comes and goes.</summary>
internal sealed class SiloSlot(int number, int siloPort, int gatewayPort, int httpPort, Rig rig) : IDisposable
{
    public int Number { get; } = number;

    public int SiloPort { get; } = siloPort;

    public int GatewayPort { get; } = gatewayPort;

    public string Url { get; } = $"http://127.0.0.1:{httpPort}";

    private readonly System.Text.StringBuilder _earlier = new();

    public ForecastProcess? Process { get; private set; }

    public bool Running => Process is { HasExited: false };

    /// <summary>The output of this slot's processes, each one's last 20,000 characters, for failures and <c>--logs</c>.</summary>
    public string Output => _earlier + (Process?.Output ?? "");

    public void Start()
    {
        if (Process is { } previous)
        {
            _earlier.Append(previous.Output).AppendLine($"---- process {previous.Id} ended; the slot's next process:");
            previous.Dispose();
        }

        // ForecastProcess picks free Orleans ports; the slot's own, later on the command line, win.
        Process = ForecastProcess.Start(rig.SiloArguments(this));
    }

    public void Kill() => Process?.Kill();

    public void Dispose() => Process?.Dispose();
}
