using Forecast.Abstractions;

namespace Forecast.Models.Storage;

/// <summary>
/// Where the registry keeps its document and the versions' packages: Redis when the silos cluster through it,
/// a folder on a single silo, memory when neither is configured. Packages are keyed by their SHA-256 and never
/// change, so silos may fetch them directly; the document has one writer, the registry grain.
/// </summary>
public interface IModelStore
{
    /// <summary>Where it keeps things, for logs.</summary>
    string Describe { get; }

    /// <summary>The registry document, or null before the first write.</summary>
    Task<string?> ReadRegistryAsync(CancellationToken cancellationToken = default);

    /// <summary>Replaces the registry document.</summary>
    Task WriteRegistryAsync(string json, CancellationToken cancellationToken = default);

    /// <summary>Stores a package under its hash (a no-op when it is there already).</summary>
    Task PutPackageAsync(string sha256, byte[] package, CancellationToken cancellationToken = default);

    /// <summary>The package with this hash, or null.</summary>
    Task<byte[]?> GetPackageAsync(string sha256, CancellationToken cancellationToken = default);
}

/// <summary>The registry in this process's memory: it lives as long as the silo, as the embedded store does.</summary>
internal sealed class MemoryModelStore : IModelStore
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> _packages = new();
    private volatile string? _registry;

    public string Describe => "memory (set Models:Directory or Orleans:Redis to keep it)";

    public Task<string?> ReadRegistryAsync(CancellationToken cancellationToken = default) => Task.FromResult(_registry);

    public Task WriteRegistryAsync(string json, CancellationToken cancellationToken = default)
    {
        _registry = json;
        return Task.CompletedTask;
    }

    public Task PutPackageAsync(string sha256, byte[] package, CancellationToken cancellationToken = default)
    {
        _packages.TryAdd(sha256, package);
        return Task.CompletedTask;
    }

    public Task<byte[]?> GetPackageAsync(string sha256, CancellationToken cancellationToken = default) =>
        Task.FromResult(_packages.TryGetValue(sha256, out var package) ? package : null);
}

/// <summary>
/// The registry in a folder: <c>registry.json</c> (written to a temporary file and renamed over the old one,
/// so a crash leaves one or the other) and <c>packages/SHA256.tar.gz</c>.
/// </summary>
internal sealed class FolderModelStore : IModelStore
{
    private readonly string _directory;

    public FolderModelStore(string directory)
    {
        _directory = Path.GetFullPath(directory);
        Directory.CreateDirectory(Path.Combine(_directory, "packages"));
    }

    public string Describe => _directory;

    private string RegistryPath => Path.Combine(_directory, "registry.json");

    public async Task<string?> ReadRegistryAsync(CancellationToken cancellationToken = default) =>
        File.Exists(RegistryPath) ? await File.ReadAllTextAsync(RegistryPath, cancellationToken) : null;

    public Task WriteRegistryAsync(string json, CancellationToken cancellationToken = default) =>
        ReplaceAsync(RegistryPath, System.Text.Encoding.UTF8.GetBytes(json), cancellationToken);

    public async Task PutPackageAsync(string sha256, byte[] package, CancellationToken cancellationToken = default)
    {
        var path = PackagePath(sha256);
        if (!File.Exists(path))
        {
            await ReplaceAsync(path, package, cancellationToken);
        }
    }

    /// <summary>
    /// Writes a temporary file and renames it over <paramref name="path"/>, so a crash leaves the old file or the new
    /// one. A failed write (a full disk) takes its temporary file with it and leaves the old one.
    /// </summary>
    private async Task ReplaceAsync(string path, byte[] content, CancellationToken cancellationToken)
    {
        var temporary = path + ".tmp";
        try
        {
            await File.WriteAllBytesAsync(temporary, content, cancellationToken);
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception exception)
        {
            File.Delete(temporary);
            if (DiskFull.Is(exception))
            {
                throw DiskFull.Named("the model registry", _directory, exception);
            }

            throw;
        }
    }

    public async Task<byte[]?> GetPackageAsync(string sha256, CancellationToken cancellationToken = default) =>
        File.Exists(PackagePath(sha256)) ? await File.ReadAllBytesAsync(PackagePath(sha256), cancellationToken) : null;

    private string PackagePath(string sha256) =>
        Path.Combine(_directory, "packages", (sha256.Length == 64 && sha256.All(char.IsAsciiHexDigitLower) ? sha256 : throw new ArgumentException("Not a SHA-256.", nameof(sha256))) + ".tar.gz");
}

/// <summary>
/// The registry in the Redis that clusters the silos: <c>forecast:{serviceId}:models:registry</c> and
/// <c>forecast:{serviceId}:models:package:SHA256</c>, so every silo of the service, in any cluster generation, sees it.
/// </summary>
internal sealed class RedisModelStore(StackExchange.Redis.IConnectionMultiplexer redis, string serviceId) : IModelStore
{
    private readonly string _prefix = $"forecast:{serviceId}:models:";

    public string Describe => $"Redis ({_prefix}*)";

    public async Task<string?> ReadRegistryAsync(CancellationToken cancellationToken = default) =>
        await redis.GetDatabase().StringGetAsync(_prefix + "registry") is { HasValue: true } value ? value.ToString() : null;

    public Task WriteRegistryAsync(string json, CancellationToken cancellationToken = default) =>
        redis.GetDatabase().StringSetAsync(_prefix + "registry", json);

    public Task PutPackageAsync(string sha256, byte[] package, CancellationToken cancellationToken = default) =>
        redis.GetDatabase().StringSetAsync(_prefix + "package:" + sha256, package, when: StackExchange.Redis.When.NotExists);

    public async Task<byte[]?> GetPackageAsync(string sha256, CancellationToken cancellationToken = default) =>
        await redis.GetDatabase().StringGetAsync(_prefix + "package:" + sha256) is { HasValue: true } value ? (byte[]?)value : null;
}
