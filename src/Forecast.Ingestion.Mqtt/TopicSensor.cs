using System.Text.RegularExpressions;

namespace Forecast.Ingestion.Mqtt;

/// <summary>Turns a message's topic into its sensor id by <see cref="MqttIngestionOptions.SensorId"/>'s template.</summary>
internal sealed partial class TopicSensor(string template)
{
    /// <summary>The template of <paramref name="options"/>, or its default from the filter.</summary>
    public static TopicSensor From(MqttIngestionOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.SensorId))
        {
            return new(options.SensorId);
        }

        var level = Array.IndexOf(options.Topic.Split('/'), "+");
        return new(level >= 0 ? $"{{{level}}}" : "{topic}");
    }

    /// <summary>What is wrong with <paramref name="template"/>, or null.</summary>
    public static string? Check(string template) =>
        Placeholder().IsMatch(template) ? null : "it names no topic level; write {N} for level N (from 0) or {topic}, for example plant-a/{1}.";

    /// <summary>The sensor id of <paramref name="topic"/>, or null when the topic lacks a level the template names.</summary>
    public string? Of(string topic)
    {
        var levels = topic.Split('/');
        var missing = false;
        var id = Placeholder().Replace(template, match =>
        {
            if (match.Groups[1].Value == "topic")
            {
                return topic;
            }

            var level = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            missing |= level >= levels.Length;
            return level < levels.Length ? levels[level] : "";
        });
        return missing ? null : id;
    }

    [GeneratedRegex(@"\{(topic|\d{1,3})\}")]
    private static partial Regex Placeholder();
}
