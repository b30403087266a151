using System.Security.Cryptography;
using System.Text;

namespace Forecast.Ingestion.Http;

/// <summary>
/// The edge's API keys, read once from <see cref="HttpIngestionOptions.ApiKeyFile"/>. A request names its key as
/// <c>Authorization: Token KEY</c> (InfluxDB's and Telegraf's way) or <c>Bearer KEY</c>.
/// </summary>
internal sealed class ApiKeys
{
    private readonly List<(byte[] Key, string Prefix)> _keys;

    private ApiKeys(List<(byte[] Key, string Prefix)> keys) => _keys = keys;

    /// <summary>No key file: every request is let in, for any sensor.</summary>
    public bool Open => _keys.Count == 0;

    public int Count => _keys.Count;

    public static ApiKeys Load(string? file)
    {
        if (string.IsNullOrWhiteSpace(file))
        {
            return new([]);
        }

        var keys = new List<(byte[], string)>();
        var number = 0;
        foreach (var raw in File.ReadLines(file))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length > 2 || parts[0].Length < 16)
            {
                throw new InvalidOperationException(
                    $"Edge:ApiKeyFile '{file}' line {number}: expected 'KEY' or 'KEY SENSOR_PREFIX', with a key of at least 16 characters.");
            }

            keys.Add((Encoding.UTF8.GetBytes(parts[0]), parts.Length == 2 ? parts[1] : ""));
        }

        return keys.Count > 0 ? new(keys) : throw new InvalidOperationException($"Edge:ApiKeyFile '{file}' holds no key.");
    }

    /// <summary>The sensor-id prefix the request's key may write, or null when it names no known key.</summary>
    public string? Authorize(string? authorization)
    {
        if (Open)
        {
            return "";
        }

        var presented = authorization switch
        {
            not null when authorization.StartsWith("Token ", StringComparison.OrdinalIgnoreCase) => authorization[6..].Trim(),
            not null when authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) => authorization[7..].Trim(),
            _ => null,
        };
        if (string.IsNullOrEmpty(presented))
        {
            return null;
        }

        // Compared in constant time, so the answer's timing says nothing of how much of a key was right.
        var bytes = Encoding.UTF8.GetBytes(presented);
        string? prefix = null;
        foreach (var (key, keyPrefix) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(key, bytes))
            {
                prefix = keyPrefix;
            }
        }

        return prefix;
    }
}
