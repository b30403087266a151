using System.Net;
using Forecast.Grains;
using Forecast.Diagnostics;
using Forecast.Inference.Onnx;
using Forecast.Models;
using Forecast.Sinks.Embedded;
using Forecast.Sinks.InfluxDb;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;
using StackExchange.Redis;

namespace Forecast.Host.Hosting;

/// <summary>Composition of one Forecast silo.</summary>
internal static class SiloExtensions
{
    /// <summary>
    /// One silo with sensor grains and ONNX inference. Without <c>Orleans:Redis</c> it clusters on
    /// localhost and keeps sensor state in memory; with it (a StackExchange.Redis connection string such
    /// as <c>127.0.0.1:6379</c>) it joins the cluster <c>Orleans:ClusterId</c> of service
    /// <c>Orleans:ServiceId</c> (both default <c>forecast</c>) through Redis and keeps sensor state
    /// there, advertising <c>Orleans:AdvertisedIP</c> (default 127.0.0.1) on <c>Orleans:SiloPort</c>
    /// (default 11111) and <c>Orleans:GatewayPort</c> (default 30000). <c>Orleans:Kubernetes=true</c> adds
    /// Orleans' Kubernetes hosting on top of Redis clustering: silo name, advertised IP, service and cluster
    /// id come from the pod (<c>POD_NAME</c>, <c>POD_NAMESPACE</c>, <c>POD_IP</c>, <c>ORLEANS_SERVICE_ID</c>,
    /// <c>ORLEANS_CLUSTER_ID</c>), and silos whose pods are gone are declared dead without waiting for probes.
    /// </summary>
    public static IHostApplicationBuilder AddForecastSilo(this IHostApplicationBuilder builder)
    {
        var orleans = builder.Configuration.GetSection("Orleans");
        var siloPort = Port(orleans, "SiloPort", 11111);
        var gatewayPort = Port(orleans, "GatewayPort", 30000);
        var redis = orleans["Redis"];
        var kubernetes = KubernetesHosting(orleans["Kubernetes"], redis);
        var redisDirectory = RedisGrainDirectory(orleans["GrainDirectory"], redis);
        builder.UseOrleans(silo =>
        {
            // Spans cross grain calls, so a Kafka message's trace continues inside the sensor's grain. Only when
            // traces are exported: the call filters it adds cost about 10% of bench pipeline's readings/s.
            if (TelemetryExtensions.TracesExported(builder.Configuration))
            {
                silo.AddActivityPropagation();
            }

            // Bound on one silo too, so a misspelt value fails at start rather than when the cluster grows.
            ConfigureFailureDetection(silo, orleans);
            if (string.IsNullOrWhiteSpace(redis))
            {
                silo.UseLocalhostClustering(siloPort, gatewayPort);
                silo.AddMemoryGrainStorage(SensorOptions.StorageName, storage => storage.Configure<Serializer>(
                    (options, serializer) => options.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer)));
                return;
            }

            if (kubernetes)
            {
                silo.Configure<EndpointOptions>(endpoints => (endpoints.SiloPort, endpoints.GatewayPort) = (siloPort, gatewayPort));
                silo.UseKubernetesHosting();
            }
            else
            {
                var advertised = orleans["AdvertisedIP"];
                silo.Configure<ClusterOptions>(cluster =>
                {
                    cluster.ClusterId = orleans.GetValue("ClusterId", "forecast")!;
                    cluster.ServiceId = orleans.GetValue("ServiceId", "forecast")!;
                });
                // An advertised address other than loopback (a pod IP) is reached through any interface.
                silo.ConfigureEndpoints(
                    AdvertisedAddress(advertised),
                    siloPort,
                    gatewayPort,
                    listenOnAnyHostAddress: !string.IsNullOrWhiteSpace(advertised));
            }

            silo.UseRedisClustering(redis);
            if (redisDirectory)
            {
                silo.UseRedisGrainDirectoryAsDefault(directory => directory.ConfigurationOptions = ConfigurationOptions.Parse(redis));
            }

            silo.AddRedisGrainStorage(SensorOptions.StorageName, storage => storage.Configure<Serializer>((options, serializer) =>
            {
                options.ConfigurationOptions = ConfigurationOptions.Parse(redis);
                options.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
            }));
        });
        builder.AddSensorGrains();
        builder.Services.PostConfigure<SensorOptions>(o => o.DurableStorage = !string.IsNullOrWhiteSpace(redis));
        builder.AddOnnxInference();
        // After inference (the bundled model is the registry's first version) and before ingestion, so a silo
        // follows the registry before its first reading.
        var serviceId = kubernetes
            ? Environment.GetEnvironmentVariable("ORLEANS_SERVICE_ID") ?? "forecast"
            : orleans.GetValue("ServiceId", "forecast")!;
        builder.AddModelRegistry(redis, serviceId);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<PipelineMetrics>();
        builder.AddForecastTelemetry();
        return builder;
    }

    /// <summary>
    /// How fast a dead silo is noticed, and how long a call to it may hang. <c>Orleans:Membership:*</c> binds
    /// Orleans' <see cref="ClusterMembershipOptions"/> and <c>Orleans:Messaging:*</c> its
    /// <see cref="SiloMessagingOptions"/>, over the defaults set here.
    /// </summary>
    private static void ConfigureFailureDetection(ISiloBuilder silo, IConfigurationSection orleans)
    {
        // A killed silo is suspected after 2 missed probes of 2 s instead of 3 of 5 s, so its sensors move and
        // a replacement joins within seconds (measured: tests/faults). Orleans stretches the probe timeout
        // itself while the prober is starved, and still needs two votes, so a busy silo is not declared dead.
        silo.Configure<ClusterMembershipOptions>(membership =>
        {
            membership.ProbeTimeout = TimeSpan.FromSeconds(2);
            membership.NumMissedProbesLimit = 2;
        });
        silo.Services.Configure<ClusterMembershipOptions>(orleans.GetSection("Membership"));
        silo.Services.Configure<SiloMessagingOptions>(orleans.GetSection("Messaging"));
    }

    private static int Port(IConfiguration orleans, string key, int fallback) =>
        orleans.GetValue(key, fallback) is var port and >= 1 and <= 65535 && port != orleans.GetValue(key == "SiloPort" ? "GatewayPort" : "SiloPort", key == "SiloPort" ? 30000 : 11111)
            ? port
            : throw new ArgumentException($"Orleans:{key} must be a TCP port from 1 to 65535, other than the other Orleans port (defaults: SiloPort 11111, GatewayPort 30000).");

    /// <summary><c>Orleans:GrainDirectory</c>: <c>distributed</c> (Orleans' own, in the silos' memory; the default) or <c>redis</c>.</summary>
    private static bool RedisGrainDirectory(string? configured, string? redis) => configured switch
    {
        null or "" or "distributed" => false,
        "redis" when !string.IsNullOrWhiteSpace(redis) => true,
        "redis" => throw new ArgumentException("Orleans:GrainDirectory 'redis' needs Orleans:Redis (the Redis that clusters the silos holds the directory too)."),
        _ => throw new ArgumentException($"Orleans:GrainDirectory '{configured}' is neither 'distributed' (Orleans' own, the default) nor 'redis'."),
    };

    /// <summary>What Orleans' Kubernetes hosting reads from the pod; the Helm chart sets each one.</summary>
    internal static readonly string[] KubernetesEnvironment = ["POD_NAME", "POD_NAMESPACE", "POD_IP", "ORLEANS_SERVICE_ID", "ORLEANS_CLUSTER_ID"];

    /// <summary>
    /// Whether <c>Orleans:Kubernetes</c> is on; when it is, the pod environment and a clustering provider
    /// must be there, because Orleans would otherwise fail later with less to go on.
    /// </summary>
    private static bool KubernetesHosting(string? configured, string? redis)
    {
        if (string.IsNullOrWhiteSpace(configured))
        {
            return false;
        }

        if (!bool.TryParse(configured, out var on))
        {
            throw new ArgumentException($"Orleans:Kubernetes '{configured}' is not true or false.");
        }

        if (!on)
        {
            return false;
        }

        if (string.IsNullOrWhiteSpace(redis))
        {
            throw new ArgumentException("Orleans:Kubernetes needs a clustering provider: set Orleans:Redis too (Kubernetes hosting does not cluster by itself).");
        }

        var missing = KubernetesEnvironment.Where(name => string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(name))).ToList();
        return missing.Count == 0 ? true : throw new ArgumentException(
            $"Orleans:Kubernetes is on but {string.Join(", ", missing)} {(missing.Count == 1 ? "is" : "are")} not set; " +
            "a pod sets them from the downward API and its orleans/serviceId and orleans/clusterId labels (see helm/forecast/templates/silos.yaml).");
    }

    /// <summary>
    /// <c>Orleans:AdvertisedIP</c>: empty means loopback (one machine); <c>auto</c> means this machine's
    /// first non-loopback IPv4 address (a container's address, where it is not known in advance).
    /// </summary>
    private static IPAddress AdvertisedAddress(string? configured) => configured switch
    {
        null or "" => IPAddress.Loopback,
        "auto" => System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
            ?? throw new ArgumentException("Orleans:AdvertisedIP is 'auto' but this machine has no non-loopback IPv4 address; set the address itself."),
        _ when IPAddress.TryParse(configured, out var address) => address,
        _ => throw new ArgumentException($"Orleans:AdvertisedIP '{configured}' is not an IP address; write one such as 10.0.0.5, or 'auto'."),
    };

    /// <summary>InfluxDB when the <c>InfluxDb</c> section is configured, else the embedded in-memory store.</summary>
    public static IHostApplicationBuilder AddPredictionSink(this IHostApplicationBuilder builder) =>
        builder.Configuration.GetSection(InfluxDbSinkOptions.SectionName).Exists()
            ? builder.AddInfluxDbSink()
            : builder.AddEmbeddedStore();
}
