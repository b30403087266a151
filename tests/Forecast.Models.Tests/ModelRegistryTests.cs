using Forecast.Models.Serving;

namespace Forecast.Models.Tests;

/// <summary>The registry's rules: stages, refusals, rollbacks, the canary's gates, and what is kept.</summary>
public sealed class ModelRegistryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 8, 0, 0, TimeSpan.Zero);

    private static readonly ModelsOptions Gates = new() { GateMinReadings = 1_000, GateAfter = TimeSpan.FromMinutes(10), RollbackMargin = 0.25 };

    [Fact]
    public void FirstVersionIsThePrimary_SameBytesAreTheSameVersion_OtherBytesAreRefused()
    {
        var registry = ModelRegistry.Empty();

        Assert.Equal(201, registry.Register(Version("lstm", "1"), "bundled", T0).Status);
        Assert.Equal(ModelStage.Primary, registry.Find("lstm@1")!.Stage);
        Assert.Equal(201, registry.Register(Version("gru", "1"), "alice", T0).Status);
        Assert.Equal(ModelStage.Ready, registry.Find("gru@1")!.Stage);

        Assert.Equal(200, registry.Register(Version("gru", "1"), "bob", T0).Status);
        var (status, error, _) = registry.Register(Version("gru", "1", sha: "other"), "bob", T0);
        Assert.Equal(409, status);
        Assert.Contains("another version", error, StringComparison.Ordinal);
        Assert.Equal(("bob", "upload", "refused"), (registry.Audit[^1].Actor, registry.Audit[^1].Action, registry.Audit[^1].Outcome));
    }

    [Fact]
    public void Deploy_RefusesWhatCannotBeDone_WithTheReason()
    {
        var registry = Registry();

        Assert.Equal(404, registry.Deploy("nope@1", new Deployment(ModelStage.Canary, 10), "alice", T0).Status);
        Assert.Equal(422, registry.Deploy("gru@1", new Deployment(ModelStage.Canary, 0), "alice", T0).Status);
        Assert.Equal(422, registry.Deploy("gru@1", new Deployment(ModelStage.Canary, 101), "alice", T0).Status);
        Assert.Equal(422, registry.Deploy("gru@1", new Deployment(ModelStage.Canary, 10, ""), "alice", T0).Status);
        Assert.Equal(422, registry.Deploy("gru@1", new Deployment(ModelStage.Retired), "alice", T0).Status);
        Assert.Equal(409, registry.Deploy("lstm@1", new Deployment(ModelStage.Canary, 10), "alice", T0).Status);
        Assert.Equal(6, registry.Audit.Count(a => a.Outcome == "refused"));
        Assert.Equal(ModelStage.Ready, registry.Find("gru@1")!.Stage);
    }

    [Fact]
    public void Rollback_RetiresTheCanary_ThenBringsThePreviousPrimaryBack_ThenHasNothingLeft()
    {
        var registry = Registry();
        var revision = registry.Revision;

        Assert.Equal(200, registry.Deploy("gru@1", new Deployment(ModelStage.Canary, 50, "pump-*"), "alice", T0).Status);
        Assert.Equal((ModelStage.Canary, 50, "pump-*"), (registry.Find("gru@1")!.Stage, registry.Find("gru@1")!.Percent, registry.Find("gru@1")!.Sensors));
        Assert.True(registry.Revision > revision);

        Assert.Equal(200, registry.Rollback("alice", T0).Status);
        Assert.Equal(ModelStage.Retired, registry.Find("gru@1")!.Stage);
        Assert.Equal("lstm@1", registry.In(ModelStage.Primary)!.Id);

        Assert.Equal(200, registry.Deploy("gru@1", new Deployment(ModelStage.Primary), "alice", T0).Status);
        Assert.Equal("gru@1", registry.In(ModelStage.Primary)!.Id);
        Assert.Equal(ModelStage.Retired, registry.Find("lstm@1")!.Stage);

        Assert.Equal(200, registry.Rollback("bob", T0).Status);
        Assert.Equal("lstm@1", registry.In(ModelStage.Primary)!.Id);
        Assert.Equal(409, registry.Rollback("bob", T0).Status);
        Assert.Equal(
            ["upload ok", "upload ok", "deploy ok", "rollback ok", "promote ok", "rollback ok", "rollback refused"],
            registry.Audit.Select(a => $"{a.Action} {a.Outcome}"));
    }

    [Fact]
    public void OneCanaryAndOneShadowAtATime_ANewOneRetiresTheOld()
    {
        var registry = Registry();
        registry.Register(Version("tcn", "1"), "alice", T0);

        registry.Deploy("gru@1", new Deployment(ModelStage.Canary, 10), "alice", T0);
        registry.Deploy("tcn@1", new Deployment(ModelStage.Canary, 20), "alice", T0);

        Assert.Equal("tcn@1", registry.In(ModelStage.Canary)!.Id);
        Assert.Equal(ModelStage.Retired, registry.Find("gru@1")!.Stage);
        registry.Deploy("gru@1", new Deployment(ModelStage.Shadow, 100), "alice", T0);
        Assert.Equal(("tcn@1", "gru@1"), (registry.In(ModelStage.Canary)!.Id, registry.In(ModelStage.Shadow)!.Id));
    }

    [Fact]
    public void Gate_WaitsForTimeAndReadings_ThenRollsAWorseCanaryBack_AsGate()
    {
        var registry = Registry();
        registry.Deploy("gru@1", new Deployment(ModelStage.Canary, 50), "alice", T0);
        List<VersionAccuracy> worse = [new("lstm@1", 10_000, 1_000, 9_000), new("gru@1", 10_000, 2_000, 7_000)];

        Assert.False(registry.Judge(worse, Gates, T0.AddMinutes(9)));
        Assert.False(registry.Judge([new("lstm@1", 10_000, 1_000, 9_000), new("gru@1", 999, 200, 700)], Gates, T0.AddMinutes(11)));
        Assert.False(registry.Judge([new("lstm@1", 10_000, 1_000, 9_000), new("gru@1", 10_000, 1_200, 9_000)], Gates, T0.AddMinutes(11)));
        Assert.Equal(ModelStage.Canary, registry.Find("gru@1")!.Stage);

        Assert.True(registry.Judge(worse, Gates, T0.AddMinutes(11)));

        Assert.Equal(ModelStage.Retired, registry.Find("gru@1")!.Stage);
        var audit = registry.Audit[^1];
        Assert.Equal(("gate", "rollback", "ok"), (audit.Actor, audit.Action, audit.Outcome));
        Assert.Contains("more than 25% worse", audit.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Gate_PromotesABetterCanary_OnlyWhenAsked()
    {
        var registry = Registry();
        registry.Deploy("gru@1", new Deployment(ModelStage.Canary, 50), "alice", T0);
        List<VersionAccuracy> better = [new("lstm@1", 10_000, 2_000, 9_000), new("gru@1", 10_000, 1_000, 9_000)];

        Assert.False(registry.Judge(better, Gates, T0.AddMinutes(11)));
        Assert.True(registry.Judge(better, new ModelsOptions { GateMinReadings = 1_000, PromoteMargin = 0.2 }, T0.AddMinutes(11)));

        Assert.Equal("gru@1", registry.In(ModelStage.Primary)!.Id);
        Assert.Equal(("gate", "promote"), (registry.Audit[^1].Actor, registry.Audit[^1].Action));
        Assert.Contains("better", registry.Audit[^1].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Document_IsKeptWhole_AndACorruptOneIsRefusedRatherThanStartedOver()
    {
        var registry = Registry();
        registry.Deploy("gru@1", new Deployment(ModelStage.Canary, 50), "alice", T0);
        registry.Deploy("gru@1", new Deployment(ModelStage.Primary), "alice", T0);

        var restored = ModelRegistry.FromJson(registry.ToJson());

        Assert.Equal(registry.Revision, restored.Revision);
        Assert.Equal(registry.Versions, restored.Versions);
        Assert.Equal(registry.Audit, restored.Audit);
        Assert.Equal(200, restored.Rollback("bob", T0).Status);
        Assert.Equal("lstm@1", restored.In(ModelStage.Primary)!.Id);
        Assert.Throws<InvalidDataException>(() => ModelRegistry.FromJson("{\"versions\": 7"));
    }

    [Fact]
    public void Audit_KeepsTheLatestEntries()
    {
        var registry = Registry();
        for (var i = 0; i < ModelRegistry.AuditLimit + 10; i++)
        {
            registry.Refused("mallory", "upload", "x", $"refusal {i}", T0);
        }

        Assert.Equal(ModelRegistry.AuditLimit, registry.Audit.Count);
        Assert.Equal($"refusal {ModelRegistry.AuditLimit + 9}", registry.Audit[^1].Detail);
    }

    [Fact]
    public void Cohort_IsAStableHashOfTheSensorId_OfTheAskedShare_AndIndependentPerStage()
    {
        // The same bucket in every process and run: a sensor stays in its cohort across restarts.
        Assert.Equal(ModelCatalog.Bucket("sim/sensor-00001", "canary"), ModelCatalog.Bucket("sim/sensor-00001", "canary"));
        Assert.Equal(62, ModelCatalog.Bucket("pump-7/temp", "canary"));

        var ids = Enumerable.Range(0, 20_000).Select(i => $"plant-{i % 7}/sensor-{i}").ToList();
        var canary = ids.Count(id => ModelCatalog.Bucket(id, "canary") < 50);
        var both = ids.Count(id => ModelCatalog.Bucket(id, "canary") < 50 && ModelCatalog.Bucket(id, "shadow") < 50);
        Assert.InRange(canary, 9_500, 10_500);
        Assert.InRange(ids.Count(id => ModelCatalog.Bucket(id, "canary") < 10), 1_800, 2_200);
        Assert.InRange(both, 4_600, 5_400);
    }

    [Fact]
    public void Options_RefuseValuesThatCannotWork()
    {
        var validator = new ModelsOptionsValidator();
        Assert.True(validator.Validate(null, new ModelsOptions()).Succeeded);
        foreach (var bad in new[]
        {
            new ModelsOptions { PollInterval = TimeSpan.Zero },
            new ModelsOptions { MaxUploadBytes = 10 },
            new ModelsOptions { MaxUnpackedBytes = 1 },
            new ModelsOptions { MetricsWindow = TimeSpan.FromSeconds(1) },
            new ModelsOptions { GateMinReadings = 0 },
            new ModelsOptions { GateAfter = TimeSpan.FromSeconds(-1) },
            new ModelsOptions { RollbackMargin = double.NaN },
            new ModelsOptions { PromoteMargin = 1 },
        })
        {
            var result = validator.Validate(null, bad);
            Assert.True(result.Failed);
            Assert.Contains("Models:", result.FailureMessage, StringComparison.Ordinal);
        }
    }

    private static ModelRegistry Registry()
    {
        var registry = ModelRegistry.Empty();
        registry.Register(Version("lstm", "1"), "bundled", T0);
        registry.Register(Version("gru", "1"), "alice", T0);
        return registry;
    }

    private static ModelVersion Version(string name, string version, string? sha = null) =>
        new(name, version, "stateful-step", 12, 64, 3, sha ?? $"sha-of-{name}-{version}", 1_000, T0, "test");
}
