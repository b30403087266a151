using Forecast.Abstractions;
using Forecast.Models.Storage;

namespace Forecast.Models.Registry;

/// <summary>
/// A thin shell over <see cref="ModelRegistry"/>: loads its document from the <see cref="IModelStore"/> on
/// activation and writes it after every change (refusals are audited, so they are written too). Keeps each
/// silo's latest accuracy report, sums them, runs the canary's gates on the sum, and writes the sum to the
/// sink as <c>model_metrics</c> every <see cref="MetricsEvery"/>.
/// </summary>
internal sealed partial class ModelRegistryGrain(
    IModelStore store,
    IPredictionSink sink,
    IOptions<ModelsOptions> options,
    TimeProvider clock,
    ILogger<ModelRegistryGrain> logger) : Grain, IModelRegistryGrain
{
    private static readonly TimeSpan MetricsEvery = TimeSpan.FromSeconds(10);
    private readonly Dictionary<string, (DateTimeOffset At, SiloAccuracy Report)> _reports = [];
    private ModelRegistry _registry = ModelRegistry.Empty();

    // The registry as the store holds it: a change the store does not take goes back to this.
    private string _stored = ModelRegistry.Empty().ToJson();
    private DateTimeOffset _metricsWritten;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _registry = await store.ReadRegistryAsync(cancellationToken) is { } json ? ModelRegistry.FromJson(json) : ModelRegistry.Empty();
        _stored = _registry.ToJson();
        LogLoaded(logger, _registry.Versions.Count, _registry.In(ModelStage.Primary)?.Id, store.Describe);
    }

    public Task<RegistryReply> RegisterAsync(ModelVersion version, string actor) =>
        ChangeAsync(() => _registry.Register(version, actor, clock.GetUtcNow()));

    public Task RefusedAsync(string actor, string action, string target, string reason) =>
        ChangeAsync(() =>
        {
            _registry.Refused(actor, action, target, reason, clock.GetUtcNow());
            return (422, reason, null);
        });

    public Task<RegistryReply> DeployAsync(string id, Deployment deployment, string actor) =>
        ChangeAsync(() => _registry.Deploy(id, deployment, actor, clock.GetUtcNow()));

    public Task<RegistryReply> RollbackAsync(string actor) => ChangeAsync(() => _registry.Rollback(actor, clock.GetUtcNow()));

    public Task<RegistrySnapshot> GetAsync() => Task.FromResult(_registry.Snapshot(Accuracy()));

    public Task<IReadOnlyList<AuditEntry>> AuditAsync() => Task.FromResult<IReadOnlyList<AuditEntry>>([.. _registry.Audit]);

    public async Task<RegistrySnapshot> SyncAsync(SiloAccuracy report)
    {
        var now = clock.GetUtcNow();
        _reports[report.Silo] = (now, report);
        var accuracy = Accuracy();
        if (_registry.Judge(accuracy, options.Value, now))
        {
            var audit = _registry.Audit[^1];
            try
            {
                await StoreAsync();
                LogGate(logger, audit.Action, audit.Target, audit.Detail);
            }
            catch (IOException exception) when (DiskFull.Is(exception))
            {
                // Undone with the rest; the gate judges again at the next report.
                LogGateNotStored(logger, audit.Action, audit.Target, exception.Message);
            }
        }

        if (now - _metricsWritten >= MetricsEvery)
        {
            _metricsWritten = now;
            await WriteMetricsAsync(accuracy, now);
        }

        return _registry.Snapshot(accuracy);
    }

    private async Task<RegistryReply> ChangeAsync(Func<(int Status, string? Error, ModelVersion? Version)> change)
    {
        var audited = _registry.Audit.Count;
        var (status, error, version) = change();
        if (_registry.Audit.Count != audited)
        {
            try
            {
                await StoreAsync();
            }
            catch (IOException exception) when (DiskFull.Is(exception))
            {
                return new RegistryReply(507, $"the registry was not changed: {exception.Message}", null, _registry.Snapshot(Accuracy()));
            }

            var audit = _registry.Audit[^1];
            LogChange(logger, audit.Actor, audit.Action, audit.Target, audit.Outcome, audit.Detail);
        }

        return new RegistryReply(status, error, version, _registry.Snapshot(Accuracy()));
    }

    /// <summary>
    /// Writes the registry. A change the store did not take (a full disk) is undone before the error goes on, so what
    /// serves is always what the store holds.
    /// </summary>
    private async Task StoreAsync()
    {
        var json = _registry.ToJson();
        try
        {
            await store.WriteRegistryAsync(json);
        }
        catch
        {
            _registry = ModelRegistry.FromJson(_stored);
            throw;
        }

        _stored = json;
    }

    /// <summary>The sum of the silos' reports; a silo silent for five polls is left out (it left or died).</summary>
    private List<VersionAccuracy> Accuracy()
    {
        var cutoff = clock.GetUtcNow() - (5 * options.Value.PollInterval) - TimeSpan.FromSeconds(5);
        foreach (var silo in _reports.Where(r => r.Value.At < cutoff).Select(r => r.Key).ToList())
        {
            _reports.Remove(silo);
        }

        return [.. _reports.Values.SelectMany(r => r.Report.Versions)
            .GroupBy(v => v.Model)
            .Select(g => new VersionAccuracy(g.Key, g.Sum(v => v.Readings), g.Sum(v => v.AbsoluteError), g.Sum(v => v.Covered)))
            .OrderBy(v => v.Model, StringComparer.Ordinal)];
    }

    private async Task WriteMetricsAsync(List<VersionAccuracy> accuracy, DateTimeOffset now)
    {
        var points = accuracy
            .Where(a => a is { Mae: { } mae, Coverage: not null } && double.IsFinite(mae))
            .Select(a => new ModelMetrics(a.Model, (_registry.Find(a.Model)?.Stage ?? ModelStage.Retired).ToString().ToLowerInvariant(), now, a.Readings, a.Mae!.Value, a.Coverage!.Value))
            .ToList();
        if (points.Count == 0)
        {
            return;
        }

        try
        {
            await sink.WriteAsync(new SinkBatch([], [], [], points));
        }
        catch (Exception exception)
        {
            // Metrics are written again in ten seconds; a sink that is down must not fail a silo's poll.
            LogMetricsFailed(logger, exception);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model registry: {Versions} versions, primary {Primary}, kept in {Store}")]
    private static partial void LogLoaded(ILogger logger, int versions, string? primary, string store);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model registry: {Actor} {Action} {Target}: {Outcome}, {Detail}")]
    private static partial void LogChange(ILogger logger, string actor, string action, string target, string outcome, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model registry gate: {Action} {Target}: {Detail}")]
    private static partial void LogGate(ILogger logger, string action, string target, string detail);

    [LoggerMessage(Level = LogLevel.Error, Message = "Model registry gate: {Action} {Target} was not stored and is undone ({Reason}); judged again at the next report")]
    private static partial void LogGateNotStored(ILogger logger, string action, string target, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model registry: writing model_metrics failed; they are written again in 10 s")]
    private static partial void LogMetricsFailed(ILogger logger, Exception exception);
}
