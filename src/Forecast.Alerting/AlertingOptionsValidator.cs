using Forecast.Abstractions;
using Forecast.Alerting.Deliveries;

namespace Forecast.Alerting;

/// <summary>Checks <see cref="AlertingOptions"/> at start, secrets in files included; each message names the key.</summary>
internal sealed class AlertingOptionsValidator : OptionsValidator<AlertingOptions>
{
    protected override IEnumerable<string> Failures(AlertingOptions o)
    {
        foreach (var failure in HttpUrl(o.Alertmanager.Url, "Alerts:Alertmanager:Url")
            .Concat(HttpUrl(o.Webhook.Url, "Alerts:Webhook:Url"))
            .Concat(HttpUrl(o.Slack.Url, "Alerts:Slack:Url"))
            .Concat(HttpUrl(o.PagerDuty.Url, "Alerts:PagerDuty:Url")))
        {
            yield return failure;
        }

        if (o.Alertmanager.ResendInterval < TimeSpan.FromSeconds(1) || o.Alertmanager.ResendInterval > TimeSpan.FromHours(1))
        {
            yield return "Alerts:Alertmanager:ResendInterval must be from 00:00:01 to 01:00:00 (default 00:01:00).";
        }

        if (o.Webhook.Url is not null || o.Webhook.Secret is not null || o.Webhook.SecretFile is not null)
        {
            var secret = Secret(o.Webhook.Secret, o.Webhook.SecretFile, "Alerts:Webhook:Secret", out var failure);
            if (failure is not null)
            {
                yield return failure;
            }
            else if (secret is null)
            {
                yield return "Alerts:Webhook:Url needs a signing secret: set Alerts:Webhook:SecretFile (or Alerts:Webhook:Secret) to whsec_ and base64 of 24 to 64 random bytes.";
            }
            else if (!WebhookSignature.TryParseSecret(secret, out _))
            {
                // Never the secret itself in a message: only what is wrong with it.
                yield return "Alerts:Webhook:Secret is not a Standard Webhooks secret: it must be whsec_ followed by base64 of 24 to 64 bytes.";
            }
            else if (o.Webhook.Url is null)
            {
                yield return "Alerts:Webhook:Secret is set but Alerts:Webhook:Url is not.";
            }
        }

        if (o.Slack.Url is not null && o.Slack.UrlFile is not null)
        {
            yield return "Set Alerts:Slack:Url or Alerts:Slack:UrlFile, not both.";
        }
        else if (o.Slack.UrlFile is not null)
        {
            var url = Secret(null, o.Slack.UrlFile, "Alerts:Slack:Url", out var failure);
            if (failure is null && !(Uri.TryCreate(url, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https"))
            {
                failure = $"Alerts:Slack:UrlFile '{o.Slack.UrlFile}' does not hold an absolute http or https URL.";
            }

            if (failure is not null)
            {
                yield return failure;
            }
        }

        if (o.PagerDuty.RoutingKey is not null || o.PagerDuty.RoutingKeyFile is not null)
        {
            var key = Secret(o.PagerDuty.RoutingKey, o.PagerDuty.RoutingKeyFile, "Alerts:PagerDuty:RoutingKey", out var failure);
            if (failure is not null)
            {
                yield return failure;
            }
            else if (string.IsNullOrWhiteSpace(key) || key.Length > 128 || key.Any(char.IsWhiteSpace))
            {
                yield return "Alerts:PagerDuty:RoutingKey must be the integration's routing key (32 characters, no spaces).";
            }
        }

        if (o.ExternalUrl is not null && !(Uri.TryCreate(o.ExternalUrl, UriKind.Absolute, out var external) && external.Scheme is "http" or "https"))
        {
            yield return $"Alerts:ExternalUrl '{o.ExternalUrl}' must be an absolute http or https URL, such as https://forecast.example.com.";
        }

        foreach (var failure in Outbox(o.Outbox))
        {
            yield return failure;
        }
    }

    /// <summary>
    /// The secret set inline or in <paramref name="file"/> (trimmed); <paramref name="failure"/> says what is
    /// wrong with the setting (both set, file unreadable), never the secret itself.
    /// </summary>
    internal static string? Secret(string? value, string? file, string key, out string? failure)
    {
        failure = null;
        if (value is not null && file is not null)
        {
            failure = $"Set {key} or {key}File, not both.";
            return null;
        }

        if (file is null)
        {
            return value?.Trim();
        }

        try
        {
            return File.ReadAllText(file).Trim();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            failure = $"{key}File '{file}' cannot be read: {exception.Message}";
            return null;
        }
    }

    private static IEnumerable<string> HttpUrl(Uri? url, string key)
    {
        if (url is not null && !(url.IsAbsoluteUri && url.Scheme is "http" or "https"))
        {
            yield return $"{key} '{url}' must be an absolute http or https URL.";
        }
    }

    private static IEnumerable<string> Outbox(OutboxOptions o)
    {
        if (string.IsNullOrWhiteSpace(o.Directory))
        {
            yield return "Alerts:Outbox:Directory must name a folder (default forecast-data/alerts).";
        }

        if (string.IsNullOrWhiteSpace(o.Name) || o.Name.Any(c => char.IsWhiteSpace(c) || c == ':'))
        {
            yield return $"Alerts:Outbox:Name '{o.Name}' must be a name without spaces or ':' (default: the machine name).";
        }

        if (o.Capacity is < 1 or > 1_000_000)
        {
            yield return "Alerts:Outbox:Capacity must be from 1 to 1,000,000 events per delivery (default 10,000).";
        }

        if (o.RetryDelay <= TimeSpan.Zero || o.MaxRetryDelay < o.RetryDelay || o.MaxRetryDelay > TimeSpan.FromHours(1))
        {
            yield return "Alerts:Outbox:RetryDelay must be above 0 and at most Alerts:Outbox:MaxRetryDelay, which is at most 01:00:00 (defaults 00:00:01 and 00:00:30).";
        }

        if (o.RequestTimeout <= TimeSpan.Zero || o.RequestTimeout > TimeSpan.FromMinutes(5))
        {
            yield return "Alerts:Outbox:RequestTimeout must be above 0 and at most 00:05:00 (default 00:00:10).";
        }

        if (o.OrphanAfter < TimeSpan.FromSeconds(1) || o.OrphanAfter > TimeSpan.FromDays(1))
        {
            yield return "Alerts:Outbox:OrphanAfter must be from 00:00:01 to 1.00:00:00 (default 00:02:00).";
        }

        if (o.DrainTimeout < TimeSpan.Zero || o.DrainTimeout > TimeSpan.FromMinutes(5))
        {
            yield return "Alerts:Outbox:DrainTimeout must be from 0 to 00:05:00 (default 00:00:05).";
        }
    }
}
