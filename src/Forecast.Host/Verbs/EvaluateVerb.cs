using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Forecast.Evaluation;
using Forecast.Grains;
using Forecast.Host.Hosting;
using Forecast.Inference.Onnx;

namespace Forecast.Host.Verbs;

/// <summary><c>forecast evaluate</c>: replays a CSV series through the sensor logic and a model (see <see cref="Evaluator"/>).</summary>
internal static class EvaluateVerb
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder to evaluate", HelpName = "DIR", Required = true };
        var data = new Option<string>("--data") { Description = "CSV file with a header row", HelpName = "CSV", Required = true };
        var timeColumn = new Option<string>("--time-column") { Description = "Timestamp column", HelpName = "C", Required = true };
        var valueColumn = new Option<string>("--value-column") { Description = "Value column", HelpName = "C", Required = true };
        var horizon = new Option<int[]>("--horizon", "--horizons")
        {
            Description = "Horizons to report, comma-separated, each from 1 to the model's (default: the model's horizon)",
            HelpName = "H[,H...]",
            CustomParser = Horizons,
        };
        var season = new Option<int?>("--season")
        {
            Description = "Season of the seasonal naive baseline in rows (default: detected)",
            HelpName = "N",
            CustomParser = Season,
        };
        var scoreFrom = new Option<DateTimeOffset?>("--score-from") { Description = "First target time scored (ISO 8601)", HelpName = "TIME", CustomParser = Time };
        var scoreTo = new Option<DateTimeOffset?>("--score-to") { Description = "Target times from this one on are not scored", HelpName = "TIME", CustomParser = Time };
        var anomaliesOut = new Option<string>("--anomalies-out") { Description = "Writes timestamp,value,anomaly_score per row (NAB's format)", HelpName = "CSV" };
        var command = new Command("evaluate", "Replays a series through the sensor logic and the model; prints MSE/MAE per horizon (normalised and original units), interval coverage, and naive baselines on the same windows.")
        {
            model, data, timeColumn, valueColumn, horizon, season, scoreFrom, scoreTo, anomaliesOut,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, _) =>
        {
            var options = new EvaluationOptions
            {
                ModelDirectory = parse.GetRequiredValue(model),
                Data = parse.GetRequiredValue(data),
                TimeColumn = parse.GetRequiredValue(timeColumn),
                ValueColumn = parse.GetRequiredValue(valueColumn),
                Horizons = parse.GetValue(horizon) ?? [],
                Season = parse.GetValue(season),
                ScoreFrom = parse.GetValue(scoreFrom),
                ScoreTo = parse.GetValue(scoreTo),
                AnomaliesOut = parse.GetValue(anomaliesOut),
            };
            new EvaluationOptionsValidator().Checked(options);
            var configuration = ForecastHostBuilder.Create(VerbConfiguration.Arguments(parse)).Configuration;
            await Evaluator.RunAsync(
                options,
                ValidatedOptions.Get(configuration, OnnxInferenceOptions.SectionName, new OnnxInferenceOptionsValidator()),
                ValidatedOptions.Get(configuration, AnomalyOptions.SectionName, new AnomalyOptionsValidator()),
                parse.InvocationConfiguration.Output,
                parse.InvocationConfiguration.Error);
            return 0;
        });
        return command;
    }

    private static int[] Horizons(ArgumentResult result)
    {
        var text = string.Join(',', result.Tokens.Select(t => t.Value));
        var horizons = text.Split(',').Select(h => int.TryParse(h, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1).ToArray();
        if (horizons.Any(h => h < 1))
        {
            result.AddError($"evaluate: horizons '{text}' must be whole numbers from 1 to the model's horizon.");
        }

        return horizons;
    }

    private static int? Season(ArgumentResult result)
    {
        var text = result.Tokens.Single().Value;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var season) && season >= 1)
        {
            return season;
        }

        result.AddError($"evaluate: --season '{text}' must be a whole number of rows, at least 1.");
        return null;
    }

    /// <summary>An ISO 8601 time option (<c>evaluate</c>'s and <c>verify</c>'s); the error names the verb and the option.</summary>
    internal static DateTimeOffset? Time(ArgumentResult result)
    {
        var text = result.Tokens.Single().Value;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            return time;
        }

        var option = (OptionResult)result.Parent!;
        var verb = option.Parent is CommandResult command ? command.Command.Name : "forecast";
        result.AddError($"{verb}: {option.Option.Name} '{text}' is not a timestamp (use ISO 8601, e.g. 2017-10-24 00:00:00).");
        return null;
    }
}
