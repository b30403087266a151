namespace Forecast.Models.Registry;

/// <summary>
/// The cluster's model registry: one activation (key <see cref="Key"/>), the single writer of the registry
/// document. Silos poll it (<see cref="SyncAsync"/>) for changes, reporting their live accuracy as they do.
/// </summary>
[Alias("Forecast.IModelRegistryGrain")]
public interface IModelRegistryGrain : IGrainWithStringKey
{
    /// <summary>The one registry's key.</summary>
    public const string Key = "models";

    /// <summary>Adds a version whose package is in the store already (validated by the caller).</summary>
    [Alias("RegisterAsync")]
    Task<RegistryReply> RegisterAsync(ModelVersion version, string actor);

    /// <summary>Audits a request refused before it reached the registry, such as an upload that failed validation.</summary>
    [Alias("RefusedAsync")]
    Task RefusedAsync(string actor, string action, string target, string reason);

    /// <summary>Puts a version to use as primary, canary or shadow.</summary>
    [Alias("DeployAsync")]
    Task<RegistryReply> DeployAsync(string id, Deployment deployment, string actor);

    /// <summary>Retires the canary or shadow in use, or else brings the previous primary back.</summary>
    [Alias("RollbackAsync")]
    Task<RegistryReply> RollbackAsync(string actor);

    /// <summary>The registry and the cluster's live accuracy per version.</summary>
    [Alias("GetAsync")]
    Task<RegistrySnapshot> GetAsync();

    /// <summary>Who did what, oldest first (the last 1,000 entries).</summary>
    [Alias("AuditAsync")]
    Task<IReadOnlyList<AuditEntry>> AuditAsync();

    /// <summary>Takes one silo's accuracy over the window, runs the canary's gates, and returns the registry.</summary>
    [Alias("SyncAsync")]
    Task<RegistrySnapshot> SyncAsync(SiloAccuracy report);
}
