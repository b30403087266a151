namespace Forecast.Sinks.InfluxDb.Tests;

/// <summary>The tests that share one real influxd.</summary>
[CollectionDefinition(Name)]
public sealed class InfluxCollection : ICollectionFixture<InfluxServerFixture>
{
    public const string Name = "influxd";
}
