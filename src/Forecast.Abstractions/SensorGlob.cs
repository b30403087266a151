using System.Text.RegularExpressions;

namespace Forecast.Abstractions;

/// <summary>Sensor globs, as silences and <c>forecast verify</c> take them: <c>*</c> any run of characters, <c>?</c> one.</summary>
public static class SensorGlob
{
    /// <summary>A pattern that matches whole sensor ids.</summary>
    public static Regex Parse(string glob) => new(
        "^" + Regex.Escape(glob).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal) + "$",
        RegexOptions.CultureInvariant | RegexOptions.Singleline,
        TimeSpan.FromMilliseconds(50));
}
