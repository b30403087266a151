using System.Security.Cryptography;
using System.Text;

namespace Forecast.Abstractions;

/// <summary>
/// API keys read once from a key file: one <c>KEY [LABEL]</c> per line, keys of at least 16 characters, <c>#</c>
/// comments. The label is what the key may do or who holds it (the edge: the sensor-id prefix it may write; model
/// management: the name the audit log records). A request names its key as <c>Authorization: Token KEY</c>
/// (InfluxDB's and Telegraf's way) or <c>Bearer KEY</c>.
/// </summary>
public sealed class ApiKeys
{
    private readonly List<(byte[] Key, string Prefix)> _keys;

    private ApiKeys(List<(byte[] Key, string Prefix)> keys) => _keys = keys;

    /// <summary>No key file was configured.</summary>
    public bool Open => _keys.Count == 0;

    /// <summary>How many keys the file holds.</summary>
    public int Count => _keys.Count;

    /// <summary>
    /// Reads <paramref name="file"/>; <paramref name="setting"/> and <paramref name="label"/> name the key and the second
    /// column in errors. A file that cannot be read or holds no valid key is an <see cref="InvalidOperationException"/>.
    /// </summary>
    public static ApiKeys Load(string? file, string setting = "Edge:ApiKeyFile", string label = "SENSOR_PREFIX")
    {
        if (string.IsNullOrWhiteSpace(file))
        {
            return new([]);
        }

        string[] lines;
        try
        {
            lines = File.ReadAllLines(file);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"{setting} '{file}' cannot be read: {exception.Message}", exception);
        }

        var keys = new List<(byte[], string)>();
        var number = 0;
        foreach (var raw in lines)
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
                    $"{setting} '{file}' line {number}: expected 'KEY' or 'KEY {label}', with a key of at least 16 characters.");
            }

            keys.Add((Encoding.UTF8.GetBytes(parts[0]), parts.Length == 2 ? parts[1] : ""));
        }

        return keys.Count > 0 ? new(keys) : throw new InvalidOperationException($"{setting} '{file}' holds no key.");
    }

    /// <summary>
    /// The label of the request's key ("" for a key without one), or null when it names no known key. With no key
    /// file every request gets "": the caller decides whether that means open or closed.
    /// </summary>
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
