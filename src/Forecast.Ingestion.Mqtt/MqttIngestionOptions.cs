namespace Forecast.Ingestion.Mqtt;

/// <summary>MQTT ingest (section <c>Mqtt</c>): a QoS 1 subscription whose messages are acknowledged once durable.</summary>
public sealed class MqttIngestionOptions
{
    /// <summary>Configuration section: <c>Mqtt</c>.</summary>
    public const string SectionName = "Mqtt";

    /// <summary>The broker as <c>host:port</c> (port 1883 when left out); its presence turns MQTT ingest on.</summary>
    public string Server { get; set; } = "";

    /// <summary>The topic filter subscribed to at QoS 1. Default <c>devices/+/readings</c>.</summary>
    public string Topic { get; set; } = "devices/+/readings";

    /// <summary>
    /// The sensor id of a message, from its topic: <c>{N}</c> stands for topic level N (from 0) and <c>{topic}</c> for
    /// the whole topic, for example <c>plant-a/{1}</c>. Default: the level of the filter's first <c>+</c>, else the
    /// whole topic. A JSON <c>sensor</c> field or a line protocol <c>sensor</c> tag overrides it.
    /// </summary>
    public string? SensorId { get; set; }

    /// <summary>The client id; fixed, so the broker keeps this silo's session (and its unacknowledged messages) across restarts. Default <c>forecast-HOSTNAME</c>.</summary>
    public string? ClientId { get; set; }

    /// <summary>How long the broker keeps the session (subscription and queued messages) while this client is away. Default 1 day.</summary>
    public TimeSpan SessionExpiry { get; set; } = TimeSpan.FromDays(1);

    /// <summary>The broker user name, if it asks for one.</summary>
    public string? Username { get; set; }

    /// <summary>The password; prefer <see cref="PasswordFile"/>.</summary>
    public string? Password { get; set; }

    /// <summary>A file holding the password (first line), so it stays out of the command line and the logs.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>Connect with TLS.</summary>
    public bool Tls { get; set; }

    /// <summary>With <see cref="Tls"/>: accept a certificate this machine does not trust (a test broker's).</summary>
    public bool AllowUntrustedCertificates { get; set; }

    /// <summary>Where refused payloads are published (QoS 1, with <c>reason</c> and <c>detail</c> user properties). Default: off (logged and counted).</summary>
    public string? DeadLetterTopic { get; set; }

    /// <summary>Messages the broker may have in flight to this client unacknowledged (MQTT 5 Receive Maximum); also the largest batch made durable at once.</summary>
    public int ReceiveMaximum { get; set; } = 1_000;

    /// <summary>The largest payload accepted; larger ones are dead-lettered as <c>oversized</c>.</summary>
    public int MaxMessageBytes { get; set; } = 1 << 20;

    /// <summary>How far ahead of this machine's clock a timestamp may be.</summary>
    public TimeSpan MaxFuture { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How far behind this machine's clock a timestamp may be.</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(3650);

    internal ReadingLimits Limits => new(MaxMessageBytes, MaxFuture, MaxAge);

    internal string EffectiveClientId => string.IsNullOrWhiteSpace(ClientId) ? $"forecast-{Environment.MachineName}" : ClientId;

    /// <summary>The host and port of <see cref="Server"/>, or null when it is not <c>host[:port]</c>.</summary>
    internal (string Host, int Port)? Endpoint()
    {
        var colon = Server.LastIndexOf(':');
        if (colon < 0)
        {
            return Server.Trim() is { Length: > 0 } host ? (host, 1883) : null;
        }

        return colon > 0 && int.TryParse(Server[(colon + 1)..], out var port) && port is >= 1 and <= 65535 ? (Server[..colon], port) : null;
    }
}
