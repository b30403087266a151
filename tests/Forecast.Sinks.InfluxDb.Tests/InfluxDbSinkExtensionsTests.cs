using Microsoft.Extensions.Configuration;

namespace Forecast.Sinks.InfluxDb.Tests;

public sealed class InfluxDbSinkExtensionsTests
{
    private static HostApplicationBuilder Builder(Dictionary<string, string?> settings)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        return builder;
    }

    [Fact]
    public async Task AddInfluxDbSink_RegistersTheSinkAndItsHealthFromConfiguration()
    {
        var builder = Builder(new()
        {
            ["InfluxDb:Url"] = "http://127.0.0.1:1",
            ["InfluxDb:Version"] = "V1",
            ["InfluxDb:Database"] = "forecast",
            ["InfluxDb:BatchSize"] = "1000",
            ["InfluxDb:Linger"] = "00:00:00.050",
            ["InfluxDb:StepsToWrite"] = "1,6,last",
        });
        builder.AddInfluxDbSink();

        using var host = builder.Build();
        await host.StartAsync();

        var sink = host.Services.GetRequiredService<IPredictionSink>();
        var health = host.Services.GetRequiredService<InfluxDbSinkHealth>();
        var options = host.Services.GetRequiredService<IOptions<InfluxDbSinkOptions>>().Value;
        Assert.IsType<InfluxDbSink>(sink);
        Assert.Same(((InfluxDbSink)sink).Health, health);
        Assert.Equal("V1 http://127.0.0.1:1 db=forecast", health.Target);
        Assert.Equal(1000, options.BatchSize);
        Assert.Equal(TimeSpan.FromMilliseconds(50), options.Linger);
        Assert.Equal("1,6,last", options.StepsToWrite);
        await host.StopAsync();
    }

    [Fact]
    public async Task AddInfluxDbSink_FailsStartWithMessagesThatSayHowToFix()
    {
        var builder = Builder(new() { ["InfluxDb:Url"] = "http://localhost:8086", ["InfluxDb:Version"] = "V2", ["InfluxDb:Bucket"] = "b" });
        builder.AddInfluxDbSink();

        using var host = builder.Build();
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("InfluxDb:Token is required", ex.Message, StringComparison.Ordinal);
        Assert.Contains("InfluxDb:Org is required", ex.Message, StringComparison.Ordinal);
    }
}
