using System.Text.Json.Serialization;

namespace Forecast.Models.Registry;

/// <summary>What a version is used for.</summary>
public enum ModelStage
{
    /// <summary>Uploaded and validated, serving no sensor.</summary>
    Ready,

    /// <summary>Serves every sensor outside the canary cohort.</summary>
    Primary,

    /// <summary>Serves a stable cohort of sensors (a percentage, within a sensor glob) instead of the primary.</summary>
    Canary,

    /// <summary>Steps alongside the primary for a cohort; written tagged <c>stage=shadow</c>, never alerted on.</summary>
    Shadow,

    /// <summary>Was in use and no longer is; kept so a rollback or a promotion can bring it back.</summary>
    Retired,
}

/// <summary>One version in the registry, with its manifest's essentials, its provenance and its stage.</summary>
/// <param name="Name">Manifest name.</param>
/// <param name="Version">Manifest version.</param>
/// <param name="Signature">Manifest signature (<c>stateful-step</c> or <c>window</c>).</param>
/// <param name="Horizon">Forecast steps.</param>
/// <param name="Window">Readings a sensor keeps for the model.</param>
/// <param name="GoldenCases">Golden vectors it passed on upload.</param>
/// <param name="Sha256">SHA-256 of its files (<see cref="ModelPackage.ContentHash"/>): where the store keeps its package.</param>
/// <param name="Bytes">Size of its package.</param>
/// <param name="Uploaded">When it was uploaded.</param>
/// <param name="UploadedBy">Who uploaded it (the API key's name; <c>bundled</c> for a silo's own model).</param>
/// <param name="Stage">What it is used for.</param>
/// <param name="Percent">Canary or shadow: the share of matching sensors in its cohort.</param>
/// <param name="Sensors">Canary or shadow: the glob the cohort is drawn from.</param>
/// <param name="Since">When it was put in its stage.</param>
[GenerateSerializer, Immutable, Alias("Forecast.ModelVersion")]
public sealed record ModelVersion(
    [property: Id(0)] string Name,
    [property: Id(1)] string Version,
    [property: Id(2)] string Signature,
    [property: Id(3)] int Horizon,
    [property: Id(4)] int Window,
    [property: Id(5)] int GoldenCases,
    [property: Id(6)] string Sha256,
    [property: Id(7)] long Bytes,
    [property: Id(8)] DateTimeOffset Uploaded,
    [property: Id(9)] string UploadedBy,
    [property: Id(10)] ModelStage Stage = ModelStage.Ready,
    [property: Id(11)] int Percent = 0,
    [property: Id(12)] string Sensors = "*",
    [property: Id(13)] DateTimeOffset? Since = null)
{
    /// <summary><c>name@version</c>, as predictions carry it.</summary>
    [JsonIgnore]
    public string Id => $"{Name}@{Version}";
}

/// <summary>How a version is to be used: <c>mode</c> primary, canary or shadow, for a cohort.</summary>
/// <param name="Mode">Primary, Canary or Shadow.</param>
/// <param name="Percent">Canary or shadow: 1 to 100 percent of the sensors matching <paramref name="Sensors"/>.</param>
/// <param name="Sensors">Canary or shadow: a sensor glob (<c>*</c>, <c>?</c>); default every sensor.</param>
[GenerateSerializer, Immutable, Alias("Forecast.Deployment")]
public sealed record Deployment(
    [property: Id(0)] ModelStage Mode,
    [property: Id(1)] int Percent = 100,
    [property: Id(2)] string Sensors = "*");

/// <summary>One change to the registry: who asked for what, when, and what came of it.</summary>
/// <param name="At">When.</param>
/// <param name="Actor">Who: an API key's name, <c>gate</c> for an automatic decision, <c>bundled</c> for a silo's own model.</param>
/// <param name="Action">upload, deploy, rollback, promote.</param>
/// <param name="Target">The version, as <c>name@version</c>.</param>
/// <param name="Outcome">ok, or refused.</param>
/// <param name="Detail">What changed, or why it was refused.</param>
[GenerateSerializer, Immutable, Alias("Forecast.AuditEntry")]
public sealed record AuditEntry(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] string Actor,
    [property: Id(2)] string Action,
    [property: Id(3)] string Target,
    [property: Id(4)] string Outcome,
    [property: Id(5)] string Detail);

/// <summary>Live one-step error of a version over the sliding window: its MAE and interval coverage.</summary>
/// <param name="Model">The version, as <c>name@version</c>.</param>
/// <param name="Readings">Readings scored.</param>
/// <param name="AbsoluteError">Sum of |reading − forecast|, in units of each sensor's scale.</param>
/// <param name="Covered">Readings inside the prediction interval.</param>
[GenerateSerializer, Immutable, Alias("Forecast.VersionAccuracy")]
public sealed record VersionAccuracy(
    [property: Id(0)] string Model,
    [property: Id(1)] long Readings,
    [property: Id(2)] double AbsoluteError,
    [property: Id(3)] long Covered)
{
    /// <summary>Mean absolute one-step error, in units of each sensor's scale (so sensors of any unit compare).</summary>
    public double? Mae => Readings > 0 ? AbsoluteError / Readings : null;

    /// <summary>Share of readings inside the prediction interval (nominally the model's interval level).</summary>
    public double? Coverage => Readings > 0 ? (double)Covered / Readings : null;
}

/// <summary>One silo's accuracy per version over the window, sent with each poll.</summary>
/// <param name="Silo">The silo, as Orleans names it.</param>
/// <param name="Versions">Its accuracy per version.</param>
[GenerateSerializer, Immutable, Alias("Forecast.SiloAccuracy")]
public sealed record SiloAccuracy([property: Id(0)] string Silo, [property: Id(1)] IReadOnlyList<VersionAccuracy> Versions);

/// <summary>The registry as silos follow it: its revision, its versions, and the cluster's live accuracy per version.</summary>
/// <param name="Revision">Raised by every change.</param>
/// <param name="Versions">Every version, oldest upload first.</param>
/// <param name="Accuracy">The cluster's accuracy per version over the window.</param>
[GenerateSerializer, Immutable, Alias("Forecast.RegistrySnapshot")]
public sealed record RegistrySnapshot(
    [property: Id(0)] long Revision,
    [property: Id(1)] IReadOnlyList<ModelVersion> Versions,
    [property: Id(2)] IReadOnlyList<VersionAccuracy> Accuracy)
{
    /// <summary>The version in <paramref name="stage"/>, if any (one primary, one canary, one shadow at most).</summary>
    public ModelVersion? In(ModelStage stage) => Versions.FirstOrDefault(v => v.Stage == stage);
}

/// <summary>The answer to a change: an HTTP-like status, the reason when refused, the version concerned.</summary>
/// <param name="Status">200 or 201 when done; 404, 409 or 422 when refused.</param>
/// <param name="Error">Why it was refused.</param>
/// <param name="Version">The version concerned, as it now is.</param>
/// <param name="Snapshot">The registry after the change.</param>
[GenerateSerializer, Immutable, Alias("Forecast.RegistryReply")]
public sealed record RegistryReply(
    [property: Id(0)] int Status,
    [property: Id(1)] string? Error,
    [property: Id(2)] ModelVersion? Version,
    [property: Id(3)] RegistrySnapshot Snapshot);
