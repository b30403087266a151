using Forecast.Abstractions;

namespace Forecast.Ingestion.Http;

/// <summary>Checks <see cref="HttpIngestionOptions"/>; the key file itself is read (and refused) at start.</summary>
internal sealed class HttpIngestionOptionsValidator : OptionsValidator<HttpIngestionOptions>
{
    protected override IEnumerable<string> Failures(HttpIngestionOptions o)
    {
        if (o.ApiKeyFile is { } file && !File.Exists(file))
        {
            yield return $"Edge:ApiKeyFile '{file}' does not exist; it holds one API key per line.";
        }

        if (o.MaxBodyBytes < 64 || o.MaxInFlight < 1)
        {
            yield return "Edge:MaxBodyBytes must be at least 64 (default 16777216) and Edge:MaxInFlight at least 1 (default 100000).";
        }

        if (o.RetryAfter < TimeSpan.FromSeconds(1) || o.MaxFuture < TimeSpan.Zero || o.MaxAge <= TimeSpan.Zero)
        {
            yield return "Edge:RetryAfter must be at least 00:00:01, Edge:MaxFuture not negative and Edge:MaxAge positive.";
        }
    }
}
