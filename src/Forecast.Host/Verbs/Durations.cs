using System.Globalization;

namespace Forecast.Host.Verbs;

/// <summary>Durations as people write them on a command line: <c>30s</c>, <c>5m</c>, <c>1h</c>, <c>200us</c> or <c>00:01:30</c>.</summary>
internal static class Durations
{
    private static readonly (string Suffix, Func<double, TimeSpan> Make)[] Units =
    [
        ("us", TimeSpan.FromMicroseconds), ("ms", TimeSpan.FromMilliseconds), ("s", TimeSpan.FromSeconds),
        ("m", TimeSpan.FromMinutes), ("h", TimeSpan.FromHours),
    ];

    /// <summary>The duration <paramref name="text"/> given to <paramref name="option"/>; a message naming both when it is not one.</summary>
    public static TimeSpan Parse(string option, string text) =>
        TryParse(text, out var span)
            ? span
            : throw new ArgumentException(Error(option, text));

    public static bool TryParse(string text, out TimeSpan span)
    {
        foreach (var (suffix, make) in Units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount)
                && double.IsFinite(amount) && amount >= 0)
            {
                span = make(amount);
                return true;
            }
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out span) && span >= TimeSpan.Zero;
    }

    public static string Error(string option, string text) =>
        $"{option} '{text}' is not a duration; write for example 30s, 5m, 1h, 200us or 00:01:30.";
}
