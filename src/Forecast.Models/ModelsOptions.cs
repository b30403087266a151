namespace Forecast.Models;

/// <summary>The model registry: where versions are kept, how silos follow it, and the canary's gates.</summary>
public sealed class ModelsOptions
{
    /// <summary>Configuration section: <c>Models</c>.</summary>
    public const string SectionName = "Models";

    /// <summary>
    /// Folder of the registry and its packages on a silo without <c>Orleans:Redis</c>. Default: none, the registry
    /// lives in memory (as the embedded store does); <c>forecast run</c> sets <c>forecast-data/models</c>.
    /// </summary>
    public string? Directory { get; set; }

    /// <summary>Where a silo unpacks the versions it serves. Default: <c>forecast-models</c> in the temp folder.</summary>
    public string CacheDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "forecast-models");

    /// <summary>How often a silo asks the registry for changes and reports its live accuracy. Default 2 s.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Largest upload accepted (the gzip tar), in bytes; larger gets 413. Default 64 MiB.</summary>
    public long MaxUploadBytes { get; set; } = 64L << 20;

    /// <summary>Largest model folder an upload may unpack to, in bytes. Default 256 MiB.</summary>
    public long MaxUnpackedBytes { get; set; } = 256L << 20;

    /// <summary>Sliding window of the live error per version (MAE and interval coverage). Default 5 minutes.</summary>
    public TimeSpan MetricsWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Readings a canary (and the primary) must have been scored on before a gate judges it. Default 5,000.</summary>
    public long GateMinReadings { get; set; } = 5_000;

    /// <summary>
    /// How long a canary serves before a gate judges it: its first minutes include each sensor's re-warm, and a
    /// person looking at it should have the time to. Default 10 minutes.
    /// </summary>
    public TimeSpan GateAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// A canary whose live MAE exceeds the primary's by more than this fraction is rolled back automatically.
    /// Default 0.25 (25% worse); 0 turns the gate off.
    /// </summary>
    public double RollbackMargin { get; set; } = 0.25;

    /// <summary>
    /// A canary whose live MAE is below the primary's by more than this fraction is promoted automatically.
    /// Default 0: off (promotion is a person's call).
    /// </summary>
    public double PromoteMargin { get; set; }
}

/// <summary>Checks <see cref="ModelsOptions"/>; each message names the key and its default.</summary>
internal sealed class ModelsOptionsValidator : Forecast.Abstractions.OptionsValidator<ModelsOptions>
{
    protected override IEnumerable<string> Failures(ModelsOptions o)
    {
        if (o.PollInterval < TimeSpan.FromMilliseconds(100) || o.PollInterval > TimeSpan.FromMinutes(5))
        {
            yield return "Models:PollInterval must be from 00:00:00.1 to 00:05:00 (default 00:00:02).";
        }

        if (o.MaxUploadBytes < 1024 || o.MaxUnpackedBytes < o.MaxUploadBytes)
        {
            yield return "Models:MaxUploadBytes must be at least 1024 and Models:MaxUnpackedBytes at least as large (defaults 64 MiB and 256 MiB).";
        }

        if (o.MetricsWindow < TimeSpan.FromSeconds(10))
        {
            yield return "Models:MetricsWindow must be at least 00:00:10 (default 00:05:00).";
        }

        if (o.GateMinReadings < 1)
        {
            yield return "Models:GateMinReadings must be at least 1 (default 5000).";
        }

        if (o.GateAfter < TimeSpan.Zero || o.GateAfter > TimeSpan.FromDays(7))
        {
            yield return "Models:GateAfter must be from 00:00:00 to 7.00:00:00 (default 00:10:00).";
        }

        if (o.RollbackMargin is < 0 or > 10 || !double.IsFinite(o.RollbackMargin))
        {
            yield return "Models:RollbackMargin must be from 0 (off) to 10 (default 0.25: a canary 25% worse than the primary is rolled back).";
        }

        if (o.PromoteMargin is < 0 or >= 1 || !double.IsFinite(o.PromoteMargin))
        {
            yield return "Models:PromoteMargin must be from 0 (off, the default) to below 1.";
        }
    }
}
