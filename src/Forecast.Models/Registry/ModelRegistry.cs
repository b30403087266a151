using System.Text.Json;
using System.Text.Json.Serialization;

namespace Forecast.Models.Registry;

/// <summary>
/// The registry's rules, free of Orleans: versions and their stages, the primaries to roll back to, the audit
/// log. One primary, at most one canary and one shadow. Every change raises <see cref="Revision"/>, is audited
/// (refusals too) and is kept as JSON by the registry grain.
/// </summary>
internal sealed class ModelRegistry
{
    /// <summary>Audit entries kept; older ones are dropped.</summary>
    public const int AuditLimit = 1_000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        WriteIndented = true,
    };

    private readonly Document _document;

    private ModelRegistry(Document document) => _document = document;

    public long Revision => _document.Revision;

    public IReadOnlyList<ModelVersion> Versions => _document.Versions;

    public IReadOnlyList<AuditEntry> Audit => _document.Audit;

    public static ModelRegistry Empty() => new(new Document());

    /// <summary>The registry kept as <paramref name="json"/>; refuses a document it cannot read rather than start empty over it.</summary>
    public static ModelRegistry FromJson(string json)
    {
        try
        {
            return new(JsonSerializer.Deserialize<Document>(json, Json) ?? throw new JsonException("the document is null"));
        }
        catch (JsonException exception)
        {
            throw new InvalidDataException($"The model registry's stored document cannot be read: {exception.Message}", exception);
        }
    }

    public string ToJson() => JsonSerializer.Serialize(_document, Json);

    public RegistrySnapshot Snapshot(IReadOnlyList<VersionAccuracy> accuracy) => new(Revision, [.. _document.Versions], accuracy);

    public ModelVersion? Find(string id) => _document.Versions.FirstOrDefault(v => v.Id == id);

    public ModelVersion? In(ModelStage stage) => _document.Versions.FirstOrDefault(v => v.Stage == stage);

    /// <summary>
    /// Adds a validated version. The first one becomes the primary. The same id with the same package is
    /// answered with the version already there (200); with another package it is refused (409): a version's
    /// bytes never change under its name.
    /// </summary>
    public (int Status, string? Error, ModelVersion? Version) Register(ModelVersion candidate, string actor, DateTimeOffset now)
    {
        if (Find(candidate.Id) is { } existing)
        {
            return existing.Sha256 == candidate.Sha256
                ? (200, null, existing)
                : Refuse(now, actor, "upload", candidate.Id, 409,
                    $"{candidate.Id} is already registered with other bytes; give the new model another version in its manifest.");
        }

        var version = candidate with { Stage = In(ModelStage.Primary) is null ? ModelStage.Primary : ModelStage.Ready, Percent = 0, Sensors = "*", Since = now };
        _document.Versions.Add(version);
        Change(now, actor, "upload", version.Id, version.Stage == ModelStage.Primary ? "registered as the primary (the registry was empty)" : "registered, serving no sensor yet");
        return (201, null, version);
    }

    /// <summary>Puts a version to use as primary, canary or shadow; the one it replaces in that stage is retired.</summary>
    public (int Status, string? Error, ModelVersion? Version) Deploy(string id, Deployment deployment, string actor, DateTimeOffset now)
    {
        var action = deployment.Mode == ModelStage.Primary ? "promote" : "deploy";
        if (Find(id) is not { } version)
        {
            return Refuse(now, actor, action, id, 404, $"{id} is not in the registry; upload it first (POST /models or forecast models deploy DIR).");
        }

        if (deployment.Mode is not (ModelStage.Primary or ModelStage.Canary or ModelStage.Shadow))
        {
            return Refuse(now, actor, action, id, 422, $"mode '{deployment.Mode}' is not primary, canary or shadow.");
        }

        if (deployment.Mode != ModelStage.Primary)
        {
            if (deployment.Percent is < 1 or > 100)
            {
                return Refuse(now, actor, action, id, 422, $"percent {deployment.Percent} is not from 1 to 100.");
            }

            if (string.IsNullOrWhiteSpace(deployment.Sensors) || deployment.Sensors.Length > 256)
            {
                return Refuse(now, actor, action, id, 422, "sensors must be a glob of 1 to 256 characters, such as * or pump-*.");
            }

            if (version.Stage == ModelStage.Primary)
            {
                return Refuse(now, actor, action, id, 409, $"{id} is the primary already; a canary or shadow must be another version.");
            }
        }

        if (deployment.Mode == ModelStage.Primary)
        {
            if (version.Stage == ModelStage.Primary)
            {
                return (200, null, version);
            }

            var old = In(ModelStage.Primary);
            if (old is not null)
            {
                _document.PreviousPrimaries.Add(old.Id);
                Replace(old with { Stage = ModelStage.Retired, Percent = 0, Sensors = "*", Since = now });
            }

            version = version with { Stage = ModelStage.Primary, Percent = 0, Sensors = "*", Since = now };
            Replace(version);
            Change(now, actor, action, id, $"primary for every sensor{(old is null ? "" : $", replacing {old.Id}")}");
            return (200, null, version);
        }

        if (In(deployment.Mode) is { } replaced && replaced.Id != id)
        {
            Replace(replaced with { Stage = ModelStage.Retired, Percent = 0, Sensors = "*", Since = now });
        }

        version = version with { Stage = deployment.Mode, Percent = deployment.Percent, Sensors = deployment.Sensors, Since = now };
        Replace(version);
        Change(now, actor, action, id, $"{Name(deployment.Mode)} for {deployment.Percent}% of sensors matching {deployment.Sensors}");
        return (200, null, version);
    }

    /// <summary>
    /// Undoes the latest step: a canary or shadow in use is retired (every sensor back on the primary);
    /// otherwise the primary before this one comes back.
    /// </summary>
    public (int Status, string? Error, ModelVersion? Version) Rollback(string actor, DateTimeOffset now, string reason = "")
    {
        var trial = In(ModelStage.Canary) ?? In(ModelStage.Shadow);
        if (trial is not null)
        {
            var retired = trial with { Stage = ModelStage.Retired, Percent = 0, Sensors = "*", Since = now };
            Replace(retired);
            Change(now, actor, "rollback", trial.Id, $"{Name(trial.Stage)} retired; every sensor is served {In(ModelStage.Primary)?.Id}{reason}");
            return (200, null, retired);
        }

        while (_document.PreviousPrimaries.Count > 0)
        {
            var previousId = _document.PreviousPrimaries[^1];
            _document.PreviousPrimaries.RemoveAt(_document.PreviousPrimaries.Count - 1);
            if (Find(previousId) is { } previous && In(ModelStage.Primary) is { } current)
            {
                Replace(current with { Stage = ModelStage.Retired, Since = now });
                previous = previous with { Stage = ModelStage.Primary, Percent = 0, Sensors = "*", Since = now };
                Replace(previous);
                Change(now, actor, "rollback", previous.Id, $"primary again, replacing {current.Id}{reason}");
                return (200, null, previous);
            }
        }

        return Refuse(now, actor, "rollback", In(ModelStage.Primary)?.Id ?? "", 409, "nothing to roll back: no canary or shadow in use, and no earlier primary.");
    }

    /// <summary>
    /// The canary's gates, on the cluster's live accuracy: rolled back when its MAE is worse than the primary's
    /// by more than <see cref="ModelsOptions.RollbackMargin"/>, promoted when better by more than
    /// <see cref="ModelsOptions.PromoteMargin"/> (if set), once it has served <see cref="ModelsOptions.GateAfter"/>
    /// and both were scored on <see cref="ModelsOptions.GateMinReadings"/> readings.
    /// </summary>
    public bool Judge(IReadOnlyList<VersionAccuracy> accuracy, ModelsOptions options, DateTimeOffset now)
    {
        if (In(ModelStage.Canary) is not { } canary || In(ModelStage.Primary) is not { } primary)
        {
            return false;
        }

        if (canary.Since is { } since && now - since < options.GateAfter)
        {
            return false;
        }

        var ofCanary = accuracy.FirstOrDefault(a => a.Model == canary.Id);
        var ofPrimary = accuracy.FirstOrDefault(a => a.Model == primary.Id);
        if (ofCanary is not { Mae: { } canaryMae } || ofPrimary is not { Mae: { } primaryMae }
            || ofCanary.Readings < options.GateMinReadings || ofPrimary.Readings < options.GateMinReadings)
        {
            return false;
        }

        var evidence = $" (live MAE {canaryMae:G3} vs {primaryMae:G3} over {ofCanary.Readings:N0} and {ofPrimary.Readings:N0} readings)";
        if (options.RollbackMargin > 0 && canaryMae > primaryMae * (1 + options.RollbackMargin))
        {
            Rollback("gate", now, $": the canary was more than {options.RollbackMargin * 100:0.#}% worse{evidence}");
            return true;
        }

        if (options.PromoteMargin > 0 && canaryMae < primaryMae * (1 - options.PromoteMargin))
        {
            Deploy(canary.Id, new Deployment(ModelStage.Primary), "gate", now);
            _document.Audit[^1] = _document.Audit[^1] with { Detail = _document.Audit[^1].Detail + $": the canary was more than {options.PromoteMargin * 100:0.#}% better{evidence}" };
            return true;
        }

        return false;
    }

    /// <summary>Audits a request refused before it reached the registry (an upload that failed validation).</summary>
    public void Refused(string actor, string action, string target, string reason, DateTimeOffset now) =>
        Record(new AuditEntry(now, actor, action, target, "refused", reason));

    private static string Name(ModelStage stage) => stage.ToString().ToLowerInvariant();

    private void Replace(ModelVersion version)
    {
        var index = _document.Versions.FindIndex(v => v.Id == version.Id);
        _document.Versions[index] = version;
    }

    private void Change(DateTimeOffset now, string actor, string action, string target, string detail)
    {
        _document.Revision++;
        Record(new AuditEntry(now, actor, action, target, "ok", detail));
    }

    private (int, string?, ModelVersion?) Refuse(DateTimeOffset now, string actor, string action, string target, int status, string error)
    {
        Record(new AuditEntry(now, actor, action, target, "refused", error));
        return (status, error, Find(target));
    }

    private void Record(AuditEntry entry)
    {
        _document.Audit.Add(entry);
        if (_document.Audit.Count > AuditLimit)
        {
            _document.Audit.RemoveRange(0, _document.Audit.Count - AuditLimit);
        }
    }

    /// <summary>What is kept: every member here is stored as JSON.</summary>
    private sealed class Document
    {
        public long Revision { get; set; }

        public List<ModelVersion> Versions { get; set; } = [];

        /// <summary>Primaries replaced, newest last: where a rollback goes when no canary or shadow is in use.</summary>
        public List<string> PreviousPrimaries { get; set; } = [];

        public List<AuditEntry> Audit { get; set; } = [];
    }
}
