using Microsoft.Extensions.Options;

namespace Forecast.Evaluation;

/// <summary>Checks <see cref="EvaluationOptions"/> before a replay starts; each message names the option and how to fix it.</summary>
internal sealed class EvaluationOptionsValidator : IValidateOptions<EvaluationOptions>
{
    public ValidateOptionsResult Validate(string? name, EvaluationOptions options)
    {
        var failures = new List<string>();
        Require(options.ModelDirectory, "--model", "the model folder (model.onnx, manifest.json, golden.json)");
        Require(options.Data, "--data", "a CSV file with a header row");
        Require(options.TimeColumn, "--time-column", "the timestamp column's name");
        Require(options.ValueColumn, "--value-column", "the value column's name");
        if (!string.IsNullOrWhiteSpace(options.Data) && !File.Exists(options.Data))
        {
            failures.Add($"evaluate: --data '{options.Data}' does not exist; pass a CSV file with a header row.");
        }

        if (options.Horizons.Any(h => h < 1))
        {
            failures.Add($"evaluate: horizons '{string.Join(',', options.Horizons)}' must be whole numbers from 1 to the model's horizon.");
        }

        if (options.Season is < 1)
        {
            failures.Add($"evaluate: --season '{options.Season}' must be a whole number of rows, at least 1.");
        }

        if (options is { ScoreFrom: { } from, ScoreTo: { } to } && to <= from)
        {
            failures.Add($"evaluate: --score-to {to:O} is not after --score-from {from:O}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Require(string value, string option, string what)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                failures.Add($"evaluate: {option} is required: {what}.");
            }
        }
    }
}
