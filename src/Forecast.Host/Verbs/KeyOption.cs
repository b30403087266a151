using System.CommandLine;

namespace Forecast.Host.Verbs;

/// <summary>
/// A command-line option that stands for a configuration key: <c>--sensors 100</c> is
/// <c>--Simulator:Sensors 100</c>. A duration option accepts <c>30s</c>, <c>5m</c> and the like.
/// </summary>
internal sealed class KeyOption : Option<string>
{
    public KeyOption(string name, string key, string description, string helpName, bool duration = false)
        : base(name)
    {
        Key = key;
        IsDuration = duration;
        Description = $"{description} ({key})";
        HelpName = helpName;
        if (duration)
        {
            Validators.Add(result =>
            {
                if (result.GetValueOrDefault<string>() is { } text && !Durations.TryParse(text, out _))
                {
                    result.AddError(Durations.Error(name, text));
                }
            });
        }
    }

    /// <summary>The configuration key the option sets, such as <c>Simulator:Sensors</c>.</summary>
    public string Key { get; }

    public bool IsDuration { get; }
}
