namespace Forecast.Dashboard.Api;

/// <summary>The active silos of the cluster, from Orleans' management grain, asked at most every few seconds.</summary>
internal sealed class SiloDirectory(IServiceProvider services, TimeProvider clock)
{
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(5);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IReadOnlyList<SiloView> _silos = [];
    private long _asked;

    /// <summary>The silos known at the last refresh (none outside a silo, such as in tests without Orleans).</summary>
    public async ValueTask<IReadOnlyList<SiloView>> GetAsync(CancellationToken cancellationToken)
    {
        if (_asked != 0 && clock.GetElapsedTime(_asked) < Refresh || services.GetService<IGrainFactory>() is not { } grains)
        {
            return _silos;
        }

        if (!await _gate.WaitAsync(0, cancellationToken))
        {
            return _silos;
        }

        try
        {
            var local = services.GetService<ILocalSiloDetails>()?.SiloAddress;
            var hosts = await grains.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: true).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            _silos = [.. hosts
                .OrderBy(h => h.SiloName, StringComparer.Ordinal)
                .Select(h => new SiloView(
                    h.SiloName, h.SiloAddress.ToString(), h.HostName, h.Status.ToString(),
                    h.StartTime == default ? null : new DateTimeOffset(DateTime.SpecifyKind(h.StartTime, DateTimeKind.Utc)),
                    h.SiloAddress.Equals(local)))];
        }
        catch (Exception exception) when (exception is TimeoutException or OrleansException or InvalidOperationException)
        {
            // The summary keeps the silos it last knew; membership answers again once the cluster settles.
        }
        finally
        {
            _asked = clock.GetTimestamp();
            _gate.Release();
        }

        return _silos;
    }
}
