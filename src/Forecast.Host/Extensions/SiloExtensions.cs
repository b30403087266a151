using Forecast.Abstractions;
using Forecast.Grains;
using Forecast.Diagnostics;
using Forecast.Host.Embedded;
using Forecast.Inference.Onnx;
using Forecast.Sinks.InfluxDb;

namespace Forecast.Host.Extensions;

/// <summary>Composition of one Forecast silo.</summary>
internal static class SiloExtensions
{
    /// <summary>One silo on localhost clustering, with sensor grains and ONNX inference.</summary>
    public static IHostApplicationBuilder AddForecastSilo(this IHostApplicationBuilder builder)
    {
        var orleans = builder.Configuration.GetSection("Orleans");
        builder.UseOrleans(silo => silo.UseLocalhostClustering(
            orleans.GetValue("SiloPort", 11111),
            orleans.GetValue("GatewayPort", 30000)));
        builder.AddSensorGrains();
        builder.AddOnnxInference();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<PipelineMetrics>();
        return builder;
    }

    /// <summary>InfluxDB when the <c>InfluxDb</c> section is configured, else the embedded in-memory store.</summary>
    public static IHostApplicationBuilder AddPredictionSink(this IHostApplicationBuilder builder) =>
        builder.Configuration.GetSection(InfluxDbSinkOptions.SectionName).Exists()
            ? builder.AddInfluxDbSink()
            : builder.AddEmbeddedStore();

    /// <summary>The in-memory store as the prediction sink (the default without InfluxDB).</summary>
    public static IHostApplicationBuilder AddEmbeddedStore(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<EmbeddedStore>();
        builder.Services.AddSingleton<IPredictionSink>(sp => sp.GetRequiredService<EmbeddedStore>());
        return builder;
    }
}
