namespace Forecast.Alerting;

/// <summary>
/// Where alert events go (section <c>Alerts</c>). Every delivery is off until its key is set; several may be
/// on at once, each with its own queue in the silo's durable outbox.
/// </summary>
public sealed class AlertingOptions
{
    /// <summary>Configuration section: <c>Alerts</c>.</summary>
    public const string SectionName = "Alerts";

    /// <summary>Prometheus Alertmanager (<c>Alerts:Alertmanager:Url</c>).</summary>
    public AlertmanagerOptions Alertmanager { get; set; } = new();

    /// <summary>A generic webhook signed per the Standard Webhooks spec (<c>Alerts:Webhook:Url</c>).</summary>
    public WebhookOptions Webhook { get; set; } = new();

    /// <summary>A Slack incoming webhook (<c>Alerts:Slack:Url</c>).</summary>
    public SlackOptions Slack { get; set; } = new();

    /// <summary>PagerDuty Events API v2 (<c>Alerts:PagerDuty:RoutingKey</c>).</summary>
    public PagerDutyOptions PagerDuty { get; set; } = new();

    /// <summary>The silo's outbox: where it keeps undelivered events, and how it retries.</summary>
    public OutboxOptions Outbox { get; set; } = new();

    /// <summary>
    /// Base URL of this service as people reach it, for links to a sensor's page in alerts
    /// (the dashboard's <c>{ExternalUrl}/#/sensor/{id}</c>). Default: the first of <c>Urls</c>.
    /// </summary>
    public string? ExternalUrl { get; set; }

    /// <summary>Whether any delivery is on.</summary>
    public bool Any => Alertmanager.Url is not null || Webhook.Url is not null || Slack.Url is not null || Slack.UrlFile is not null
        || PagerDuty.RoutingKey is not null || PagerDuty.RoutingKeyFile is not null;
}

/// <summary>Prometheus Alertmanager v2.</summary>
public sealed class AlertmanagerOptions
{
    /// <summary>Alertmanager's base URL, such as <c>http://alertmanager:9093</c>; alerts go to <c>/api/v2/alerts</c>.</summary>
    public Uri? Url { get; set; }

    /// <summary>
    /// How often firing alerts are sent again, as Prometheus does; each says it ends four intervals ahead, so
    /// Alertmanager resolves it by itself if this silo goes away. Default 1 minute.
    /// </summary>
    public TimeSpan ResendInterval { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>A Standard Webhooks receiver.</summary>
public sealed class WebhookOptions
{
    /// <summary>The receiver's URL.</summary>
    public Uri? Url { get; set; }

    /// <summary>Signing secret, <c>whsec_</c> and base64; prefer <see cref="SecretFile"/>.</summary>
    public string? Secret { get; set; }

    /// <summary>A file holding the signing secret (a mounted Kubernetes secret).</summary>
    public string? SecretFile { get; set; }
}

/// <summary>A Slack incoming webhook.</summary>
public sealed class SlackOptions
{
    /// <summary>The incoming webhook's URL (it is a secret: prefer <see cref="UrlFile"/>).</summary>
    public Uri? Url { get; set; }

    /// <summary>A file holding the incoming webhook's URL.</summary>
    public string? UrlFile { get; set; }
}

/// <summary>PagerDuty Events API v2.</summary>
public sealed class PagerDutyOptions
{
    /// <summary>The service integration's routing key; prefer <see cref="RoutingKeyFile"/>.</summary>
    public string? RoutingKey { get; set; }

    /// <summary>A file holding the routing key.</summary>
    public string? RoutingKeyFile { get; set; }

    /// <summary>The Events API endpoint. Default <c>https://events.pagerduty.com/v2/enqueue</c>.</summary>
    public Uri Url { get; set; } = new("https://events.pagerduty.com/v2/enqueue");
}

/// <summary>The silo's durable outbox.</summary>
public sealed class OutboxOptions
{
    /// <summary>
    /// Folder of the outbox and silences without Redis. Default <c>forecast-data/alerts</c> under the
    /// working directory. With <c>Orleans:Redis</c> both live in Redis instead.
    /// </summary>
    public string Directory { get; set; } = Path.Combine("forecast-data", "alerts");

    /// <summary>
    /// Where the outbox and silences live: <see cref="OutboxStore.Auto"/> (default) in Redis with <c>Orleans:Redis</c>,
    /// else in <see cref="Directory"/>; <see cref="OutboxStore.Files"/> in <see cref="Directory"/> even in a cluster.
    /// </summary>
    public OutboxStore Store { get; set; }

    /// <summary>This silo's outbox name in Redis. Default: the machine (pod) name.</summary>
    public string Name { get; set; } = Environment.MachineName;

    /// <summary>
    /// Redis connection string; set from <c>Orleans:Redis</c> by the host, so a clustered silo keeps its
    /// outbox and the cluster's silences there.
    /// </summary>
    public string? Redis { get; set; }

    /// <summary>
    /// With Redis: how long a silo's outbox may go without its heartbeat before another silo takes over its
    /// undelivered events (a pod replaced under a new name). Default 2 minutes.
    /// </summary>
    public TimeSpan OrphanAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Undelivered events kept per delivery at most; beyond it the oldest resolved events go first. Default 10,000.</summary>
    public int Capacity { get; set; } = 10_000;

    /// <summary>Typical delay before the first retry of a failed delivery; later ones double, with jitter. Default 1 second.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest delay between retries (unless the receiver asks for longer with <c>Retry-After</c>). Default 30 seconds.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one delivery request may take. Default 10 seconds.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a stopping silo keeps delivering what is queued. Default 5 seconds; the rest waits in the outbox.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Where a silo keeps its alert outbox and silences.</summary>
public enum OutboxStore
{
    /// <summary>Redis when the silos cluster through it, else files.</summary>
    Auto,

    /// <summary>
    /// Files in <c>Alerts:Outbox:Directory</c>, each silo its own (a pod's volume): silences are then per silo,
    /// and no other silo takes over the outbox of one that is gone.
    /// </summary>
    Files,
}
