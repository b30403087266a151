using System.Globalization;

namespace Forecast.Host.Extensions;

/// <summary>
/// The <c>forecast</c> command line: a verb, then options. Short options map onto configuration keys;
/// any configuration key also works as <c>--Section:Key value</c>, and as an environment variable
/// <c>Section__Key</c>.
/// </summary>
internal static class CommandLine
{
    public static readonly IReadOnlyDictionary<string, string> Switches = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["--sensors"] = "Simulator:Sensors",
        ["--interval"] = "Simulator:Interval",
        ["--seed"] = "Simulator:Seed",
        ["--duration"] = "Run:Duration",
        ["--model"] = "Inference:ModelDirectory",
        ["--max-batch"] = "Inference:MaxBatch",
        ["--max-wait"] = "Inference:MaxWait",
        ["--readings-per-call"] = "Bench:ReadingsPerCall",
        ["--in-flight"] = "Simulator:MaxInFlight",
        ["--kafka"] = "Kafka:BootstrapServers",
        ["--topic"] = "Kafka:Topic",
        ["--rate"] = "Simulate:Rate",
    };

    private static readonly HashSet<string> Durations = ["--interval", "--duration", "--max-wait"];

    /// <summary>Splits off the verbs and rewrites durations such as <c>30s</c>, <c>5m</c> or <c>200us</c> to <c>hh:mm:ss</c>.</summary>
    public static (string[] Verbs, string[] Options) Parse(string[] args)
    {
        var verbs = args.TakeWhile(a => !a.StartsWith('-')).ToArray();
        var options = args.Skip(verbs.Length).ToArray();
        for (var i = 0; i < options.Length - 1; i++)
        {
            if (Durations.Contains(options[i]))
            {
                options[i + 1] = ParseDuration(options[i], options[i + 1]).ToString("c", CultureInfo.InvariantCulture);
            }
        }

        return (verbs, options);
    }

    public static TimeSpan ParseDuration(string option, string text)
    {
        (string Suffix, Func<double, TimeSpan> Make)[] units =
        [
            ("us", TimeSpan.FromMicroseconds), ("ms", TimeSpan.FromMilliseconds), ("s", TimeSpan.FromSeconds),
            ("m", TimeSpan.FromMinutes), ("h", TimeSpan.FromHours),
        ];
        foreach (var (suffix, make) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount)
                && double.IsFinite(amount) && amount >= 0)
            {
                return make(amount);
            }
        }

        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero)
        {
            return span;
        }

        throw new ArgumentException($"{option} '{text}' is not a duration; write for example 30s, 5m, 1h, 200us or 00:01:30.");
    }
}
