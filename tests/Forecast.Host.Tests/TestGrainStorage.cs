using Orleans.Serialization;
using Orleans.Storage;

namespace Forecast.Host.Tests;

/// <summary>
/// Grain storage in memory for sensor tests: its next <see cref="Failures"/> writes throw, and with a copier
/// (<see cref="UsingCopier"/>) it copies on write and on read, as storage that serializes does, and remembers
/// what each read handed out.
/// </summary>
internal sealed class TestGrainStorage : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    private readonly Dictionary<(string, GrainId), (object State, string ETag)> _records = [];
    private DeepCopier? _copier;

    public int Failures { get; set; }

    public int Failed { get; private set; }

    public int Written { get; private set; }

    /// <summary>What each read handed out, weakly held.</summary>
    public List<WeakReference> Read { get; } = [];

    public TestGrainStorage UsingCopier(DeepCopier copier)
    {
        _copier = copier;
        return this;
    }

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        lock (_records)
        {
            if (_records.TryGetValue((stateName, grainId), out var record))
            {
                (grainState.State, grainState.ETag, grainState.RecordExists) = (Copy((T)record.State), record.ETag, true);
                Read.Add(new WeakReference(grainState.State));
            }
        }

        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        lock (_records)
        {
            if (Failures > 0)
            {
                Failures--;
                Failed++;
                throw new IOException("storage unavailable (injected)");
            }

            grainState.ETag = Guid.NewGuid().ToString("N");
            grainState.RecordExists = true;
            _records[(stateName, grainId)] = (Copy(grainState.State)!, grainState.ETag);
            Written++;
        }

        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        lock (_records)
        {
            _records.Remove((stateName, grainId));
        }

        return Task.CompletedTask;
    }

    // Orleans hands every grain storage to the silo lifecycle; this one has nothing to start.
    public void Participate(ISiloLifecycle observer)
    {
    }

    private T Copy<T>(T value) => _copier is null ? value : _copier.Copy(value)!;
}
