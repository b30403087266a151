using Forecast.Sinks.Embedded;

namespace Forecast.Host.Tests;

/// <summary>One silo for the assembly, composed as <c>forecast run</c> composes it: sensor grains over the bundled ONNX model and the embedded store.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private TestSilo? _silo;

    internal EmbeddedStore Store => Silo.Store;

    internal IServiceProvider Services => Silo.Services;

    private TestSilo Silo => _silo ?? throw new InvalidOperationException("The silo has not started.");

    public ISensorGrain Sensor(string id) => Silo.Sensor(id);

    public async Task InitializeAsync() => _silo = await TestSilo.StartAsync();

    public async Task DisposeAsync()
    {
        if (_silo is not null)
        {
            await _silo.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
