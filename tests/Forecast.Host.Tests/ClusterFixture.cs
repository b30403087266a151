using Forecast.Abstractions;
using Forecast.Grains;
using Forecast.Host.Embedded;
using Forecast.Inference.Onnx;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Serialization;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Forecast.Host.Tests;

/// <summary>One in-process Orleans cluster for the assembly: sensor grains over the bundled ONNX model and the embedded store.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; } = new TestClusterBuilder(1).AddSiloBuilderConfigurator<SiloConfigurator>().Build();

    internal EmbeddedStore Store => Services.GetRequiredService<EmbeddedStore>();

    internal IServiceProvider Services => ((InProcessSiloHandle)Cluster.Primary!).SiloHost.Services;

    public ISensorGrain Sensor(string id) => Cluster.GrainFactory.GetGrain<ISensorGrain>(id);

    public Task InitializeAsync() => Cluster.DeployAsync();

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            var services = siloBuilder.Services;
            var options = new OnnxInferenceOptions { ModelDirectory = Path.Combine(AppContext.BaseDirectory, "models", "default") };
            services.AddOptions<AnomalyOptions>();
            services.AddOptions<SensorOptions>();
            siloBuilder.AddMemoryGrainStorage(SensorOptions.StorageName, storage => storage.Configure<Serializer>(
                (o, serializer) => o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer)));
            services.AddSingleton(_ => OnnxModel.Load(options.ModelDirectory, options));
            services.AddSingleton(sp => new BatchingForecaster(sp.GetRequiredService<OnnxModel>(), options, NullLogger<BatchingForecaster>.Instance));
            services.AddSingleton<IForecaster>(sp => sp.GetRequiredService<BatchingForecaster>());
            services.AddSingleton<EmbeddedStore>();
            services.AddSingleton<IPredictionSink>(sp => sp.GetRequiredService<EmbeddedStore>());
            services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
