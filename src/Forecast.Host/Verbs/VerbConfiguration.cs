using System.CommandLine;
using System.Globalization;

namespace Forecast.Host.Verbs;

/// <summary>
/// Turns a parsed verb into configuration arguments: its <see cref="KeyOption"/>s as <c>--Key value</c>,
/// then every <c>--Section:Key value</c> the verb does not declare, so any configuration key works on
/// the command line (and as the environment variable <c>Section__Key</c>).
/// </summary>
internal static class VerbConfiguration
{
    private static readonly string Program = Path.GetFileNameWithoutExtension(Environment.ProcessPath) is "dotnet" or null
        ? "forecast"
        : Path.GetFileNameWithoutExtension(Environment.ProcessPath)!;

    public static string[] Arguments(ParseResult parse)
    {
        var arguments = new List<string>();
        foreach (var option in parse.CommandResult.Command.Options.OfType<KeyOption>())
        {
            if (parse.GetResult(option) is { Implicit: false } && parse.GetValue(option) is { } value)
            {
                arguments.Add("--" + option.Key);
                arguments.Add(option.IsDuration ? Durations.Parse(option.Name, value).ToString("c", CultureInfo.InvariantCulture) : value);
            }
        }

        var unmatched = parse.UnmatchedTokens;
        for (var i = 0; i < unmatched.Count; i++)
        {
            var token = unmatched[i];
            if (i == 0 && !token.StartsWith('-') && parse.CommandResult.Command is RootCommand)
            {
                throw new ArgumentException(
                    $"unknown command '{token}'; the commands are {string.Join(", ", parse.RootCommandResult.Command.Subcommands.Select(c => $"{Program} {c.Name}"))} ({Program} --help says more).");
            }

            if (!token.StartsWith("--", StringComparison.Ordinal) || !token.Contains(':', StringComparison.Ordinal))
            {
                throw new ArgumentException(
                    $"unknown option '{token}' for {parse.CommandResult.Command.Name}; configuration keys are written --Section:Key value (forecast {parse.CommandResult.Command.Name} --help lists the options).");
            }

            arguments.Add(token);
            if (!token.Contains('=', StringComparison.Ordinal))
            {
                if (++i >= unmatched.Count)
                {
                    throw new ArgumentException($"{token} must be followed by a value (--Section:Key value).");
                }

                arguments.Add(unmatched[i]);
            }
        }

        return [.. arguments];
    }
}
