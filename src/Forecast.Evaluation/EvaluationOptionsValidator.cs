using Forecast.Abstractions;

namespace Forecast.Evaluation;

/// <summary>Checks <see cref="EvaluationOptions"/> before a replay starts; each message names the option and how to fix it.</summary>
internal sealed class EvaluationOptionsValidator : OptionsValidator<EvaluationOptions>
{
    protected override IEnumerable<string> Failures(EvaluationOptions options)
    {
        string?[] missing =
        [
            Missing(options.ModelDirectory, "--model", "the model folder (model.onnx, manifest.json, golden.json)"),
            Missing(options.Data, "--data", "a CSV file with a header row"),
            Missing(options.TimeColumn, "--time-column", "the timestamp column's name"),
            Missing(options.ValueColumn, "--value-column", "the value column's name"),
        ];
        foreach (var failure in missing.OfType<string>())
        {
            yield return failure;
        }

        if (!string.IsNullOrWhiteSpace(options.Data) && !File.Exists(options.Data))
        {
            yield return $"evaluate: --data '{options.Data}' does not exist; pass a CSV file with a header row.";
        }

        if (options.Horizons.Any(h => h < 1))
        {
            yield return $"evaluate: horizons '{string.Join(',', options.Horizons)}' must be whole numbers from 1 to the model's horizon.";
        }

        if (options.Season is < 1)
        {
            yield return $"evaluate: --season '{options.Season}' must be a whole number of rows, at least 1.";
        }

        if (options is { ScoreFrom: { } from, ScoreTo: { } to } && to <= from)
        {
            yield return $"evaluate: --score-to {to:O} is not after --score-from {from:O}.";
        }
    }

    private static string? Missing(string value, string option, string what) =>
        string.IsNullOrWhiteSpace(value) ? $"evaluate: {option} is required: {what}." : null;
}
