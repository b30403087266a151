using System.Globalization;
using Forecast.Host.Verbs;

namespace Forecast.Faults;

/// <summary>What <c>tests/faults/run.sh</c> was asked for; every figure has a default that fits a 2-core machine.</summary>
internal sealed record Settings
{
    public static readonly string[] AllScenarios = ["kill", "influx-outage", "redis-outage", "slow-sink", "storm", "poison-model", "disk-full"];

    public IReadOnlyList<string> Scenarios { get; init; } = AllScenarios;

    public int Sensors { get; init; } = 2_000;

    public int Rate { get; init; } = 3_000;

    public int Silos { get; init; } = 2;

    public int Kills { get; init; } = 6;

    public TimeSpan KillEvery { get; init; } = TimeSpan.FromSeconds(20);

    public TimeSpan RestartAfter { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(20);

    public TimeSpan InfluxOutage { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan RedisOutage { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan SinkDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long the sink stays slow. At 2 s a write the silos fall behind at once; librdkafka's mock cluster keeps
    /// about 5 MB a partition, so a longer slow spell at the default rate trims readings before they are read.
    /// </summary>
    public TimeSpan SlowFor { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long the alert outboxes' disk stays full in the disk-full scenario.</summary>
    public TimeSpan DiskFullFor { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a fault's aftermath is watched, with readings still arriving.</summary>
    public TimeSpan After { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Set: the kill scenario runs this long instead of <see cref="Kills"/> times <see cref="KillEvery"/>.</summary>
    public TimeSpan? Duration { get; init; }

    public string Report { get; init; } = "faults-report.json";

    /// <summary>Each silo joins the consumer group with a <c>group.instance.id</c> of its own (Kafka's static membership).</summary>
    public bool StaticMembership { get; init; }

    /// <summary>Set: each silo's output is written there, a file per scenario and silo.</summary>
    public string? Logs { get; init; }

    /// <summary>Passed to every silo as they are (after <c>--</c> on the command line), for example <c>--Orleans:Membership:ProbeTimeout 00:00:05</c>.</summary>
    public IReadOnlyList<string> SiloOptions { get; init; } = [];

    public const string Usage = """
        tests/faults/run.sh [options] [-- silo options]
          --scenarios LIST     comma-separated, of: kill, influx-outage, redis-outage, slow-sink, storm, poison-model, disk-full (default: all)
          --sensors N          sensors producing (2000)          --rate N      readings/s produced (3000)
          --silos N            silos (2)                         --kills N     SIGKILLs in the kill scenario (6)
          --kill-every T       between kills (20s)               --restart-after T  a killed silo restarts after (2s)
          --duration T         run the kill scenario this long (a soak), killing every --kill-every
          --influx-outage T    (60s)   --redis-outage T (30s)   --sink-delay T (2s) --slow-for T (15s)   --after T (30s)   --warmup T (20s)
          --disk-full-for T    how long the alert outboxes' tmpfs stays full in disk-full (30s)
          --report FILE        the JSON report (faults-report.json)
          --logs DIR           keep every silo's output there
          --static-membership  each silo joins the consumer group with a group.instance.id of its own
        Durations: 90s, 5m, 1h or hh:mm:ss. Exit 1 when a reading was lost or a fault did not recover.
        """;

    public static Settings Parse(string[] args)
    {
        var settings = new Settings();
        var split = Array.IndexOf(args, "--");
        var own = split < 0 ? args : args[..split];
        if (split >= 0)
        {
            settings = settings with { SiloOptions = args[(split + 1)..] };
        }

        for (var i = 0; i < own.Length; i++)
        {
            var name = own[i];
            if (name == "--static-membership")
            {
                settings = settings with { StaticMembership = true };
                continue;
            }

            var value = i + 1 < own.Length ? own[++i] : throw new ArgumentException($"{name} needs a value.\n{Usage}");
            settings = name switch
            {
                "--scenarios" => settings with { Scenarios = ScenarioNames(value) },
                "--sensors" => settings with { Sensors = Positive(name, value) },
                "--rate" => settings with { Rate = Positive(name, value) },
                "--silos" => settings with { Silos = Math.Max(2, Positive(name, value)) },
                "--kills" => settings with { Kills = Positive(name, value) },
                "--kill-every" => settings with { KillEvery = Time(name, value) },
                "--restart-after" => settings with { RestartAfter = Time(name, value) },
                "--duration" => settings with { Duration = Time(name, value) },
                "--influx-outage" => settings with { InfluxOutage = Time(name, value) },
                "--redis-outage" => settings with { RedisOutage = Time(name, value) },
                "--sink-delay" => settings with { SinkDelay = Time(name, value) },
                "--slow-for" => settings with { SlowFor = Time(name, value) },
                "--disk-full-for" => settings with { DiskFullFor = Time(name, value) },
                "--after" => settings with { After = Time(name, value) },
                "--warmup" => settings with { Warmup = Time(name, value) },
                "--report" => settings with { Report = value },
                "--logs" => settings with { Logs = value },
                _ => throw new ArgumentException($"unknown option {name}.\n{Usage}"),
            };
        }

        return settings;
    }

    private static string[] ScenarioNames(string value)
    {
        var names = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = names.Except(AllScenarios).ToList();
        return unknown.Count == 0 && names.Length > 0
            ? names
            : throw new ArgumentException($"--scenarios: unknown {string.Join(", ", unknown)}; known: {string.Join(", ", AllScenarios)}.");
    }

    private static int Positive(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new ArgumentException($"{name} must be a positive whole number, not '{value}'.");

    private static TimeSpan Time(string name, string value) =>
        Durations.Parse(name, value) is var time && time > TimeSpan.Zero ? time : throw new ArgumentException($"{name} must be longer than zero.");
}
