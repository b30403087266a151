using System.Text.RegularExpressions;
using Forecast.Abstractions;
using Forecast.Inference.Onnx;
using Forecast.Models.Registry;
using Forecast.Models.Storage;

namespace Forecast.Models.Serving;

/// <summary>
/// The versions this silo serves and which sensor gets which: the silo's <see cref="IModelRouter"/>. It starts
/// with the silo's own model as primary and follows the registry (<see cref="ApplyAsync"/>): a version it lacks
/// is fetched from the store by hash, unpacked to the cache, validated like any upload and served through its
/// own <see cref="BatchingForecaster"/>. The routing table is swapped whole, so a grain call sees one table;
/// a version that leaves the table is disposed only after <see cref="DisposeAfter"/>, when calls that started
/// on it have finished.
/// </summary>
internal sealed partial class ModelCatalog : IModelRouter, IAsyncDisposable
{
    private static readonly TimeSpan DisposeAfter = TimeSpan.FromSeconds(60);
    private readonly Dictionary<string, BatchingForecaster> _loaded = [];
    private readonly List<(DateTimeOffset At, BatchingForecaster Forecaster)> _leaving = [];
    private readonly BatchingForecaster _bundled;
    private readonly IModelStore _store;
    private readonly OnnxInferenceOptions _inference;
    private readonly ModelsOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private volatile Routing _routing;

    public ModelCatalog(
        BatchingForecaster bundled, IModelStore store, IOptions<OnnxInferenceOptions> inference, IOptions<ModelsOptions> options, TimeProvider clock, ILoggerFactory loggers)
    {
        _bundled = bundled;
        _store = store;
        _inference = inference.Value;
        _options = options.Value;
        _clock = clock;
        _loggers = loggers;
        _logger = loggers.CreateLogger<ModelCatalog>();
        _loaded[bundled.Model.Id] = bundled;
        _routing = new Routing(-1, bundled, null, null);
    }

    /// <summary>The silo's own model (<c>Inference:ModelDirectory</c>), served until the registry says otherwise.</summary>
    public BatchingForecaster Bundled => _bundled;

    /// <summary>The version every sensor outside a canary cohort is served.</summary>
    public IForecaster Primary => _routing.Primary;

    /// <summary>The registry revision the routing table follows; -1 before the first.</summary>
    public long Revision => _routing.Revision;

    /// <summary>The versions loaded now (primary, canary, shadow, and any still finishing calls).</summary>
    public IReadOnlyList<BatchingForecaster> Loaded
    {
        get
        {
            lock (_loaded)
            {
                return [.. _loaded.Values];
            }
        }
    }

    public ModelRoute Route(string sensorId)
    {
        var routing = _routing;
        var serving = routing.Canary is { } canary && canary.Includes(sensorId) ? canary.Forecaster : routing.Primary;
        var shadow = routing.Shadow is { } cohort && cohort.Includes(sensorId) ? cohort.Forecaster : null;
        return new ModelRoute(serving, shadow);
    }

    /// <summary>
    /// Follows <paramref name="snapshot"/>: loads the versions it puts to use and swaps the routing table. A version
    /// that cannot be loaded here is left out (its sensors stay on the primary) and logged; a primary that cannot
    /// be loaded leaves the current one serving.
    /// </summary>
    public async Task ApplyAsync(RegistrySnapshot snapshot, CancellationToken cancellationToken)
    {
        var current = _routing;
        var primary = snapshot.In(ModelStage.Primary) is { } p ? await LoadAsync(p, cancellationToken) ?? current.Primary : current.Primary;
        var canary = await CohortAsync(snapshot.In(ModelStage.Canary), "canary", cancellationToken);
        var shadow = await CohortAsync(snapshot.In(ModelStage.Shadow), "shadow", cancellationToken);
        // A version that could not be loaded is tried again at the next poll: the revision is not marked followed.
        var complete = (snapshot.In(ModelStage.Primary) is not { } wanted || primary.Model.Id == wanted.Id)
            && (snapshot.In(ModelStage.Canary) is null) == (canary is null)
            && (snapshot.In(ModelStage.Shadow) is null) == (shadow is null);
        _routing = new Routing(complete ? snapshot.Revision : -1, primary, canary, shadow);
        if (current.Primary != primary || current.Canary?.Forecaster != canary?.Forecaster || current.Shadow?.Forecaster != shadow?.Forecaster)
        {
            LogRouting(_logger, snapshot.Revision, primary.Model.Id, canary is null ? "none" : $"{canary.Forecaster.Model.Id} ({canary.Percent}% of {canary.Glob})",
                shadow is null ? "none" : $"{shadow.Forecaster.Model.Id} ({shadow.Percent}% of {shadow.Glob})");
        }

        await RetireAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var forecaster in Loaded.Where(f => f != _bundled).Concat(_leaving.Select(l => l.Forecaster)))
        {
            await forecaster.DisposeAsync();
            forecaster.Loaded.Dispose();
        }
    }

    /// <summary>Which part of 100 a sensor falls in for a cohort: a hash of its id, the same in every process and run.</summary>
    internal static int Bucket(string sensorId, string salt)
    {
        var hash = 2166136261u;
        foreach (var c in salt)
        {
            hash = (hash ^ c) * 16777619u;
        }

        foreach (var c in sensorId)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % 100);
    }

    private async Task<Cohort?> CohortAsync(ModelVersion? version, string salt, CancellationToken cancellationToken) =>
        version is not null && await LoadAsync(version, cancellationToken) is { } forecaster
            ? new Cohort(forecaster, version.Percent, version.Sensors, version.Sensors == "*" ? null : SensorGlob.Parse(version.Sensors), salt)
            : null;

    private async Task<BatchingForecaster?> LoadAsync(ModelVersion version, CancellationToken cancellationToken)
    {
        lock (_loaded)
        {
            if (_loaded.TryGetValue(version.Id, out var loaded))
            {
                return loaded;
            }
        }

        try
        {
            var directory = Path.Combine(_options.CacheDirectory, version.Sha256);
            if (!File.Exists(Path.Combine(directory, "manifest.json")))
            {
                var package = await _store.GetPackageAsync(version.Sha256, cancellationToken)
                    ?? throw new ModelValidationException($"the store ({_store.Describe}) has no package {version.Sha256}.");
                var unpacking = directory + "." + Guid.NewGuid().ToString("N");
                ModelPackage.Unpack(package, unpacking, _options.MaxUnpackedBytes);
                try
                {
                    if (Directory.Exists(directory))
                    {
                        Directory.Delete(directory, recursive: true);
                    }

                    Directory.Move(unpacking, directory);
                }
                catch (IOException) when (File.Exists(Path.Combine(directory, "manifest.json")))
                {
                    // Another silo on this machine unpacked the same package first: same hash, same files.
                    Directory.Delete(unpacking, recursive: true);
                }
            }

            var model = OnnxInferenceExtensions.LoadModel(directory, _inference, _logger);
            if (model.Descriptor.Id != version.Id)
            {
                model.Dispose();
                throw new ModelValidationException($"its package holds {model.Descriptor.Id}.");
            }

            var forecaster = new BatchingForecaster(model, _inference, _loggers.CreateLogger<BatchingForecaster>());
            lock (_loaded)
            {
                _loaded[version.Id] = forecaster;
            }

            return forecaster;
        }
        catch (Exception exception) when (exception is ModelValidationException or ModelPackageException or IOException)
        {
            LogLoadFailed(_logger, exception, version.Id, exception.Message);
            return null;
        }
    }

    /// <summary>Disposes versions out of the routing table for <see cref="DisposeAfter"/>; the bundled one stays.</summary>
    private async Task RetireAsync(CancellationToken cancellationToken)
    {
        var routing = _routing;
        var now = _clock.GetUtcNow();
        List<BatchingForecaster> due;
        lock (_loaded)
        {
            foreach (var (id, forecaster) in _loaded.Where(l => l.Value != _bundled && !routing.Uses(l.Value)).ToList())
            {
                _loaded.Remove(id);
                _leaving.Add((now, forecaster));
            }

            due = [.. _leaving.Where(l => now - l.At >= DisposeAfter).Select(l => l.Forecaster)];
            _leaving.RemoveAll(l => now - l.At >= DisposeAfter);
        }

        foreach (var forecaster in due)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await forecaster.DisposeAsync();
            forecaster.Loaded.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Models (registry revision {Revision}): primary {Primary}, canary {Canary}, shadow {Shadow}")]
    private static partial void LogRouting(ILogger logger, long revision, string primary, string canary, string shadow);

    [LoggerMessage(Level = LogLevel.Error, Message = "Model {ModelId} cannot be served on this silo: {Reason}; its sensors stay on the primary")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception, string modelId, string reason);

    private sealed record Routing(long Revision, BatchingForecaster Primary, Cohort? Canary, Cohort? Shadow)
    {
        public bool Uses(BatchingForecaster forecaster) => Primary == forecaster || Canary?.Forecaster == forecaster || Shadow?.Forecaster == forecaster;
    }

    private sealed record Cohort(BatchingForecaster Forecaster, int Percent, string Glob, Regex? Sensors, string Salt)
    {
        public bool Includes(string sensorId) => Bucket(sensorId, Salt) < Percent && (Sensors is null || Sensors.IsMatch(sensorId));
    }
}
