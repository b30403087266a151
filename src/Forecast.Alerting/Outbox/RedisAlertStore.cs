using StackExchange.Redis;

namespace Forecast.Alerting.Outbox;

/// <summary>The store in Redis: one hash per collection, <c>forecast:alerts:{collection}</c>.</summary>
internal sealed class RedisAlertStore(IConnectionMultiplexer redis) : IAlertStore
{
    private IDatabase Database => redis.GetDatabase();

    public async Task<IReadOnlyDictionary<string, string>> ReadAsync(string collection, CancellationToken cancellationToken = default)
    {
        var entries = await Database.HashGetAllAsync(Key(collection));
        return entries.ToDictionary(e => e.Name.ToString(), e => e.Value.ToString());
    }

    public Task PutAsync(string collection, string key, string value, CancellationToken cancellationToken = default) =>
        Database.HashSetAsync(Key(collection), key, value);

    public Task DeleteAsync(string collection, string key, CancellationToken cancellationToken = default) =>
        Database.HashDeleteAsync(Key(collection), key);

    private static RedisKey Key(string collection) => $"forecast:alerts:{collection}";
}
