using Forecast.Abstractions;

namespace Forecast.Sinks.InfluxDb;

/// <summary>Checks <see cref="InfluxDbSinkOptions"/>; each message names the key and how to fix it.</summary>
internal sealed class InfluxDbSinkOptionsValidator : OptionsValidator<InfluxDbSinkOptions>
{
    private const string Prefix = InfluxDbSinkOptions.SectionName + ":";
    private static readonly TimeSpan MaxDelay = TimeSpan.FromDays(1);

    protected override IEnumerable<string> Failures(InfluxDbSinkOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Url))
        {
            yield return $"{Prefix}Url is required: set it to the server's base URL, for example http://localhost:8086.";
        }
        else if (!Uri.TryCreate(options.Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            yield return $"{Prefix}Url '{options.Url}' is not an absolute http(s) URL: write it like http://localhost:8086.";
        }

        switch (options.Version)
        {
            case InfluxDbVersion.V1:
                if (string.IsNullOrWhiteSpace(options.Database))
                {
                    yield return $"{Prefix}Database is required with Version V1: set it to the database to write to (create it with CREATE DATABASE).";
                }

                if (string.IsNullOrEmpty(options.Username) != string.IsNullOrEmpty(options.Password))
                {
                    yield return $"{Prefix}Username and {Prefix}Password go together: set both for basic authentication, or neither.";
                }

                break;
            case InfluxDbVersion.V2:
                if (string.IsNullOrWhiteSpace(options.Token) && string.IsNullOrWhiteSpace(options.TokenFile))
                {
                    yield return $"{Prefix}Token is required with Version V2: set it (or {Prefix}TokenFile, a file holding it) to an API token with write access to the bucket.";
                }

                if (string.IsNullOrWhiteSpace(options.Org))
                {
                    yield return $"{Prefix}Org is required with Version V2: set it to the organization that owns the bucket.";
                }

                if (string.IsNullOrWhiteSpace(options.Bucket))
                {
                    yield return $"{Prefix}Bucket is required with Version V2: set it to the bucket to write to (for InfluxDB 1.8, database/retention-policy).";
                }

                break;
            default:
                yield return $"{Prefix}Version '{options.Version}' is unknown: use V1 (InfluxDB 1.x /write) or V2 (InfluxDB 2.x, 3.x, 1.8+).";
                break;
        }

        if (!string.IsNullOrWhiteSpace(options.TokenFile) && string.IsNullOrWhiteSpace(options.Token) && !File.Exists(options.TokenFile))
        {
            yield return $"{Prefix}TokenFile '{options.TokenFile}' does not exist: point it at a readable file that holds the token.";
        }

        if (options.BatchSize is < 1 or > 1_000_000)
        {
            yield return $"{Prefix}BatchSize {options.BatchSize} is out of range: use 1 to 1,000,000 lines (5,000 is a good start).";
        }

        if (options.Capacity < options.BatchSize)
        {
            yield return $"{Prefix}Capacity {options.Capacity} is below {Prefix}BatchSize {options.BatchSize}: make it at least one batch, better several (default 25,000).";
        }

        if (options.Linger < TimeSpan.Zero || options.Linger > TimeSpan.FromSeconds(10))
        {
            yield return $"{Prefix}Linger {options.Linger} is out of range: use 00:00:00 to 00:00:10 (default 00:00:00.100).";
        }

        if (options.MaxRetries is < 0)
        {
            yield return $"{Prefix}MaxRetries {options.MaxRetries} is negative: use 0 or more, or leave it empty to retry until the server is back.";
        }

        if (options.InitialBackoff <= TimeSpan.Zero)
        {
            yield return $"{Prefix}InitialBackoff {options.InitialBackoff} must be positive, for example 00:00:00.200.";
        }

        if (options.MaxBackoff < options.InitialBackoff)
        {
            yield return $"{Prefix}MaxBackoff {options.MaxBackoff} is below {Prefix}InitialBackoff {options.InitialBackoff}: make it at least as long (default 00:00:05).";
        }
        else if (options.MaxBackoff > MaxDelay)
        {
            // The retry pipeline (Polly) takes delays of up to a day.
            yield return $"{Prefix}MaxBackoff {options.MaxBackoff} is over a day: use at most 1.00:00:00 (default 00:00:05).";
        }

        if (options.RequestTimeout <= TimeSpan.Zero)
        {
            yield return $"{Prefix}RequestTimeout {options.RequestTimeout} must be positive, for example 00:00:30.";
        }

        if (options.DrainTimeout < TimeSpan.Zero)
        {
            yield return $"{Prefix}DrainTimeout {options.DrainTimeout} is negative: use 00:00:00 or more (default 00:00:10).";
        }

        if (!StepSelection.TryParse(options.StepsToWrite, out _, out var stepsError))
        {
            yield return $"{Prefix}StepsToWrite {stepsError}.";
        }
    }
}
