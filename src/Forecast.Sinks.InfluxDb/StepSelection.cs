using System.Globalization;

namespace Forecast.Sinks.InfluxDb;

/// <summary>Which forecast steps are written, parsed from <see cref="InfluxDbSinkOptions.StepsToWrite"/>.</summary>
internal sealed class StepSelection
{
    private readonly HashSet<int> _steps;
    private readonly bool _last;
    private readonly bool _all;

    private StepSelection(HashSet<int> steps, bool last, bool all)
    {
        _steps = steps;
        _last = last;
        _all = all;
    }

    /// <summary>Parses a list such as <c>1,last</c>, <c>1,6,12</c> or <c>all</c>.</summary>
    public static bool TryParse(string? text, out StepSelection selection, out string error)
    {
        selection = new StepSelection([], last: false, all: false);
        error = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "is empty; use step numbers and the words 'last' or 'all', for example \"1,last\"";
            return false;
        }

        var steps = new HashSet<int>();
        bool last = false, all = false;
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.Equals("last", StringComparison.OrdinalIgnoreCase))
            {
                last = true;
            }
            else if (part.Equals("all", StringComparison.OrdinalIgnoreCase))
            {
                all = true;
            }
            else if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var step) && step >= 1)
            {
                steps.Add(step);
            }
            else
            {
                error = $"has '{part}', which is neither a step number (1 or more) nor 'last' or 'all'; for example \"1,last\"";
                return false;
            }
        }

        if (steps.Count == 0 && !last && !all)
        {
            error = "names no step; use step numbers and the words 'last' or 'all', for example \"1,last\"";
            return false;
        }

        selection = new StepSelection(steps, last, all);
        return true;
    }

    /// <summary>Whether the step at <paramref name="index"/> of <paramref name="count"/> steps numbered <paramref name="step"/> is written.</summary>
    public bool Includes(int step, int index, int count) =>
        _all || (_last && index == count - 1) || _steps.Contains(step);
}
