using Forecast.Abstractions;
using Forecast.Models.Serving;
using Forecast.Models.Storage;
using Microsoft.Extensions.Configuration;
using StackExchange.Redis;

namespace Forecast.Models;

/// <summary>Registers the model registry on a silo: versions, canaries, shadows and rollbacks on a running cluster.</summary>
public static class ModelRegistryExtensions
{
    /// <summary>
    /// Binds <see cref="ModelsOptions"/> from the <c>Models</c> section and makes the registry the silo's
    /// <see cref="IModelRouter"/> and <see cref="IModelAccuracy"/>. The registry is kept in <paramref name="redis"/>
    /// when the silos cluster through it (under the service id <paramref name="serviceId"/>), else in
    /// <c>Models:Directory</c>, else in memory. Call after the silo and ONNX inference are added, so the silo
    /// follows the registry before the ingestion services that are added later start.
    /// </summary>
    public static IHostApplicationBuilder AddModelRegistry(this IHostApplicationBuilder builder, string? redis, string serviceId)
    {
        builder.Services.AddValidatedOptions<ModelsOptions, ModelsOptionsValidator>(o => o.Bind(builder.Configuration.GetSection(ModelsOptions.SectionName)));
        builder.Services.AddSingleton<IModelStore>(sp =>
        {
            if (!string.IsNullOrWhiteSpace(redis))
            {
                return new RedisModelStore(ConnectionMultiplexer.Connect(redis), serviceId);
            }

            var directory = sp.GetRequiredService<IOptions<ModelsOptions>>().Value.Directory;
            return string.IsNullOrWhiteSpace(directory) ? new MemoryModelStore() : new FolderModelStore(directory);
        });
        builder.Services.AddSingleton<AccuracyWindow>();
        builder.Services.AddSingleton<IModelAccuracy>(sp => sp.GetRequiredService<AccuracyWindow>());
        builder.Services.AddSingleton<ModelCatalog>();
        builder.Services.AddSingleton<IModelRouter>(sp => sp.GetRequiredService<ModelCatalog>());
        builder.Services.AddSingleton<ModelUploads>();
        builder.Services.AddHostedService<ModelSync>();
        return builder;
    }
}
