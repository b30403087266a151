namespace Forecast.Alerting.Outbox;

/// <summary>
/// Durable key-value collections for the outbox, Alertmanager's firing set and silences: files in the data
/// folder on one machine, Redis hashes in a cluster. A write returns once it is durable.
/// </summary>
internal interface IAlertStore
{
    Task<IReadOnlyDictionary<string, string>> ReadAsync(string collection, CancellationToken cancellationToken = default);

    Task PutAsync(string collection, string key, string value, CancellationToken cancellationToken = default);

    Task DeleteAsync(string collection, string key, CancellationToken cancellationToken = default);
}
