using System.Security.Cryptography;
using System.Text;

namespace Forecast.Alerting.Deliveries;

/// <summary>
/// Standard Webhooks signing (https://www.standardwebhooks.com): HMAC-SHA256 over <c>id.timestamp.body</c> with
/// the secret's bytes, sent as <c>webhook-signature: v1,&lt;base64&gt;</c>.
/// </summary>
public static class WebhookSignature
{
    private const string Prefix = "whsec_";

    /// <summary>The key of a <c>whsec_</c> secret, when it is one (base64 of 24 to 64 bytes).</summary>
    public static bool TryParseSecret(string secret, out byte[] key)
    {
        key = [];
        if (!secret.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var encoded = secret[Prefix.Length..];
        var buffer = new byte[encoded.Length];
        if (!Convert.TryFromBase64String(encoded, buffer, out var length) || length is < 24 or > 64)
        {
            return false;
        }

        key = buffer[..length];
        return true;
    }

    /// <summary>The <c>webhook-signature</c> header value for one attempt.</summary>
    public static string Sign(byte[] key, string id, long timestamp, string body) =>
        "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}")));

    /// <summary>
    /// What a receiver does: whether <paramref name="signatureHeader"/> (space-separated <c>v1,...</c> entries)
    /// holds a valid signature of the message, compared in constant time.
    /// </summary>
    public static bool Verify(byte[] key, string id, long timestamp, string body, string signatureHeader)
    {
        var expected = Encoding.ASCII.GetBytes(Sign(key, id, timestamp, body));
        return signatureHeader.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Any(candidate => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(candidate), expected));
    }
}
