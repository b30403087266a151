using Forecast.Abstractions;

namespace Forecast.Ingestion.Mqtt;

/// <summary>Checks <see cref="MqttIngestionOptions"/>; each message names the key and an example.</summary>
internal sealed class MqttIngestionOptionsValidator : OptionsValidator<MqttIngestionOptions>
{
    protected override IEnumerable<string> Failures(MqttIngestionOptions o)
    {
        if (o.Endpoint() is null)
        {
            yield return $"Mqtt:Server '{o.Server}' is not host:port, for example 127.0.0.1:1883.";
        }

        if (string.IsNullOrWhiteSpace(o.Topic) || o.Topic.Contains('#') && !o.Topic.EndsWith('#'))
        {
            yield return $"Mqtt:Topic '{o.Topic}' is not a topic filter, for example devices/+/readings ('#' only at the end).";
        }

        if (o.SensorId is { } template && TopicSensor.Check(template) is { } problem)
        {
            yield return $"Mqtt:SensorId '{template}': {problem}";
        }

        if (o.PasswordFile is { } file && !File.Exists(file))
        {
            yield return $"Mqtt:PasswordFile '{file}' does not exist.";
        }

        if (o.ReceiveMaximum is < 1 or > 65_535 || o.MaxMessageBytes < 64)
        {
            yield return "Mqtt:ReceiveMaximum must be from 1 to 65535 (default 1000) and Mqtt:MaxMessageBytes at least 64.";
        }

        if (o.SessionExpiry < TimeSpan.FromSeconds(1) || o.SessionExpiry.TotalSeconds > uint.MaxValue || o.MaxFuture < TimeSpan.Zero || o.MaxAge <= TimeSpan.Zero)
        {
            yield return "Mqtt:SessionExpiry must be at least 00:00:01, Mqtt:MaxFuture not negative and Mqtt:MaxAge positive.";
        }
    }
}
