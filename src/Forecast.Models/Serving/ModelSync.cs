using Forecast.Inference.Onnx;
using Forecast.Models.Registry;
using Forecast.Models.Storage;

namespace Forecast.Models.Serving;

/// <summary>
/// Keeps this silo on the registry: at start it registers the silo's own model (the first silo's becomes the
/// primary; a later one's is added as ready) and applies the registry's state before readings flow; then it
/// polls every <see cref="ModelsOptions.PollInterval"/>, reporting the silo's live accuracy and applying changes.
/// A registry that cannot be reached is logged and tried again; the silo keeps serving what it has.
/// </summary>
internal sealed partial class ModelSync(
    IGrainFactory grains,
    ModelCatalog catalog,
    AccuracyWindow accuracy,
    IModelStore store,
    ILocalSiloDetails silo,
    IOptions<ModelsOptions> options,
    TimeProvider clock,
    ILogger<ModelSync> logger) : IHostedService
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;

    private IModelRegistryGrain Registry => grains.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.Key);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await RegisterBundledAsync();
            await SyncOnceAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogUnreachable(logger, exception, catalog.Primary.Model.Id);
        }

        _loop = Task.Run(() => PollAsync(_stopping.Token), CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
    }

    private async Task RegisterBundledAsync()
    {
        var bundled = catalog.Bundled;
        var model = bundled.Model;
        var package = ModelPackage.Pack(bundled.Loaded.Directory);
        var sha = ModelPackage.ContentHash(bundled.Loaded.Directory);
        await store.PutPackageAsync(sha, package);
        var reply = await Registry.RegisterAsync(
            new ModelVersion(model.Name, model.Version, Signature(model.Signature), model.Horizon, model.Window, bundled.Loaded.GoldenCases, sha, package.Length, clock.GetUtcNow(), "bundled"),
            "bundled");
        if (reply.Status == 409)
        {
            LogBundledConflict(logger, model.Id, reply.Error!);
        }
        else if (reply.Snapshot.In(ModelStage.Primary) is { } primary && primary.Id != model.Id)
        {
            LogBundledNotPrimary(logger, model.Id, primary.Id);
        }
    }

    internal static string Signature(Forecast.Abstractions.ModelSignature signature) =>
        signature == Forecast.Abstractions.ModelSignature.Window ? ModelManifest.WindowSignature : ModelManifest.StatefulStep;

    private async Task SyncOnceAsync(CancellationToken cancellationToken)
    {
        var snapshot = await Registry.SyncAsync(new SiloAccuracy(silo.SiloAddress.ToString(), accuracy.Snapshot()));
        if (snapshot.Revision != catalog.Revision)
        {
            await catalog.ApplyAsync(snapshot, cancellationToken);
        }
    }

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.Value.PollInterval, clock);
        var failing = false;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await SyncOnceAsync(cancellationToken);
                    failing = false;
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    if (!failing)
                    {
                        LogUnreachable(logger, exception, catalog.Primary.Model.Id);
                    }

                    failing = true;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model registry not reachable; serving {ModelId} and trying again")]
    private static partial void LogUnreachable(ILogger logger, Exception exception, string modelId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "This silo's model {ModelId} is in the registry with other bytes ({Reason}); the registry's version is served")]
    private static partial void LogBundledConflict(ILogger logger, string modelId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "This silo's model {ModelId} is registered; the registry's primary {Primary} serves (forecast models promote {ModelId} to change that)")]
    private static partial void LogBundledNotPrimary(ILogger logger, string modelId, string primary);
}
