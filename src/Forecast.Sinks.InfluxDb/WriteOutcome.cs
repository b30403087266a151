using System.Text.Json;

namespace Forecast.Sinks.InfluxDb;

/// <summary>What became of one HTTP write.</summary>
internal enum WriteOutcomeKind
{
    /// <summary>Every line is stored.</summary>
    Success,

    /// <summary>Nothing to blame on the lines (network, 5xx, 429, 408, 401/403/404): send them again later.</summary>
    Retryable,

    /// <summary>The server refused some or all lines for good (400, 413, 422): find which, do not resend them.</summary>
    Rejected,
}

/// <summary>The result of one HTTP write, whichever API sent it.</summary>
/// <param name="Kind">Success, retryable failure or refusal.</param>
/// <param name="StatusCode">HTTP status, 0 when no response came.</param>
/// <param name="Error">The server's error text or the network error, empty on success.</param>
/// <param name="RetryAfter">The server's <c>Retry-After</c>, when it sent one.</param>
internal readonly record struct WriteOutcome(WriteOutcomeKind Kind, int StatusCode, string Error, TimeSpan? RetryAfter)
{
    private const int MaxErrorLength = 4_000;

    public static WriteOutcome Success(int statusCode) => new(WriteOutcomeKind.Success, statusCode, "", null);

    public static WriteOutcome NoResponse(string error) => new(WriteOutcomeKind.Retryable, 0, Truncate(error), null);

    /// <summary>Classifies a non-success response.</summary>
    public static WriteOutcome Failure(int statusCode, string error, TimeSpan? retryAfter)
    {
        var kind = statusCode switch
        {
            >= 200 and < 300 => WriteOutcomeKind.Success,
            400 or 413 or 422 => WriteOutcomeKind.Rejected,
            _ => WriteOutcomeKind.Retryable,
        };
        return new WriteOutcome(kind, statusCode, Truncate(error), retryAfter);
    }

    /// <summary>Authorization or target errors: the server is up but our configuration is wrong.</summary>
    public bool IsConfigurationError => StatusCode is 401 or 403 or 404;

    public string Describe() => StatusCode == 0 ? Error : $"HTTP {StatusCode}: {Error}";

    /// <summary>
    /// The error text from an InfluxDB error body: <c>{"error": "..."}</c> (1.x) or
    /// <c>{"code": "...", "message": "..."}</c> (2.x, 3.x); otherwise the body itself.
    /// </summary>
    public static string ErrorFromBody(string body)
    {
        var trimmed = body.Trim();
        if (trimmed.StartsWith('{'))
        {
            try
            {
                using var json = JsonDocument.Parse(trimmed);
                if (json.RootElement.ValueKind == JsonValueKind.Object)
                {
                    foreach (var key in (ReadOnlySpan<string>)["error", "message"])
                    {
                        if (json.RootElement.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String)
                        {
                            return value.GetString() ?? trimmed;
                        }
                    }
                }
            }
            catch (JsonException)
            {
                // Not JSON after all: report the body as it came.
            }
        }

        return trimmed;
    }

    private static string Truncate(string text) => text.Length <= MaxErrorLength ? text : text[..MaxErrorLength] + "…";
}

/// <summary>Sends one body of line protocol (nanosecond precision) to InfluxDB.</summary>
internal interface IInfluxDbTransport : IDisposable
{
    /// <summary>Writes <paramref name="body"/>; never throws for HTTP or network failures, only for cancellation.</summary>
    Task<WriteOutcome> WriteAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken);
}
