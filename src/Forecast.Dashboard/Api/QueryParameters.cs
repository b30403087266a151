using System.Globalization;
using Forecast.Abstractions;

namespace Forecast.Dashboard.Api;

/// <summary>
/// Parsing of the query API's parameters. Each <c>Try…</c> returns false with a message that names the parameter,
/// says what was sent and what is accepted, for a 400 answer.
/// </summary>
internal static class QueryParameters
{
    /// <summary>Longest accepted <c>query</c> (sensor ids are at most 256 characters).</summary>
    public const int MaxQueryLength = 256;

    private const string TimeFormats =
        "an ISO 8601 time (2026-05-01T10:00:00Z), epoch milliseconds, or a time before now such as -15m or now-2h (units ms, s, m, h, d)";

    /// <summary>
    /// A moment: ISO 8601, epoch milliseconds, <c>now</c>, or relative to <paramref name="now"/> (<c>-15m</c>,
    /// <c>now-30s</c>); empty gives <paramref name="fallback"/>.
    /// </summary>
    public static bool TryTime(string name, string? text, DateTimeOffset now, DateTimeOffset? fallback, out DateTimeOffset? value, out string? error)
    {
        (value, error) = (fallback, null);
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        var trimmed = text.Trim();
        if (trimmed.Equals("now", StringComparison.OrdinalIgnoreCase))
        {
            value = now;
            return true;
        }

        var relative = trimmed.StartsWith("now-", StringComparison.OrdinalIgnoreCase) ? trimmed[3..] : trimmed;
        if (relative.StartsWith('-') && TryDuration(relative[1..], out var ago))
        {
            value = now - ago;
            return true;
        }

        if (long.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var epochMs) && epochMs <= 253_402_300_799_999)
        {
            value = DateTimeOffset.FromUnixTimeMilliseconds(epochMs);
            return true;
        }

        // A '+' of an offset that was not URL-encoded arrives as a space.
        const DateTimeStyles styles = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;
        if (trimmed.Contains('T', StringComparison.OrdinalIgnoreCase)
            && (DateTimeOffset.TryParse(trimmed, CultureInfo.InvariantCulture, styles, out var time)
                || DateTimeOffset.TryParse(trimmed.Replace(' ', '+'), CultureInfo.InvariantCulture, styles, out time)))
        {
            value = time;
            return true;
        }

        error = $"Parameter '{name}' is '{Shorten(text)}', which is not a time: use {TimeFormats}.";
        return false;
    }

    /// <summary>A count from 1 to <paramref name="max"/>; empty gives <paramref name="fallback"/>.</summary>
    public static bool TryLimit(string name, string? text, int fallback, int max, out int value, out string? error)
    {
        (value, error) = (fallback, null);
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= 1 && value <= max)
        {
            return true;
        }

        error = $"Parameter '{name}' is '{Shorten(text)}': use a whole number from 1 to {max.ToString("N0", CultureInfo.InvariantCulture)} (default {fallback}).";
        return false;
    }

    /// <summary><c>warning</c> or <c>critical</c> (any case); empty means any severity.</summary>
    public static bool TrySeverity(string name, string? text, out AnomalySeverity? value, out string? error)
    {
        (value, error) = (null, null);
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        switch (text.Trim().ToLowerInvariant())
        {
            case "warning":
                value = AnomalySeverity.Warning;
                return true;
            case "critical":
                value = AnomalySeverity.Critical;
                return true;
            default:
                error = $"Parameter '{name}' is '{Shorten(text)}': use warning or critical (or leave it out for both).";
                return false;
        }
    }

    /// <summary>A substring to look for in sensor ids, at most <see cref="MaxQueryLength"/> characters; empty matches every sensor.</summary>
    public static bool TryQuery(string name, string? text, out string? value, out string? error)
    {
        (value, error) = (string.IsNullOrWhiteSpace(text) ? null : text.Trim(), null);
        if (value is { Length: > MaxQueryLength })
        {
            error = $"Parameter '{name}' is {value.Length} characters long: use at most {MaxQueryLength} (a part of a sensor id).";
            return false;
        }

        return true;
    }

    /// <summary><c>15m</c>, <c>30s</c>, <c>500ms</c>, <c>2h</c>, <c>1d</c>, <c>1.5h</c>: a positive amount and a unit.</summary>
    internal static bool TryDuration(string text, out TimeSpan duration)
    {
        duration = default;
        var unitStart = text.Length;
        while (unitStart > 0 && char.IsAsciiLetter(text[unitStart - 1]))
        {
            unitStart--;
        }

        if (unitStart == 0 || unitStart == text.Length
            || !double.TryParse(text.AsSpan(0, unitStart), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount)
            || amount <= 0)
        {
            return false;
        }

        double? milliseconds = text[unitStart..].ToLowerInvariant() switch
        {
            "ms" => amount,
            "s" => amount * 1_000,
            "m" => amount * 60_000,
            "h" => amount * 3_600_000,
            "d" => amount * 86_400_000,
            _ => null,
        };
        // At most about 100 years back: anything larger is a typo, not a time range.
        if (milliseconds is not { } ms || ms > 3.2e12)
        {
            return false;
        }

        duration = TimeSpan.FromMilliseconds(ms);
        return true;
    }

    private static string Shorten(string text) => text.Length <= 64 ? text : text[..64] + "…";
}
