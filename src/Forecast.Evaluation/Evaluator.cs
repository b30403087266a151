using System.Globalization;
using System.Text.Json;
using Forecast.Abstractions;
using Forecast.Grains;
using Forecast.Inference.Onnx;
using Microsoft.Extensions.Logging.Abstractions;

namespace Forecast.Evaluation;

/// <summary>
/// Replays a CSV series through the grains' own <see cref="SensorStream"/> (same scaler, same stepping,
/// same interval and anomaly scoring) over the served <see cref="BatchingForecaster"/>, and reports
/// per-horizon errors next to naive baselines computed on the very same forecast windows
/// (<c>forecast evaluate</c>).
/// </summary>
internal static class Evaluator
{
    private const int Chunk = 512;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Evaluates <paramref name="options"/>'s model on its data file: a table and one JSON line on
    /// <paramref name="stdout"/>, the anomaly scores to <see cref="EvaluationOptions.AnomaliesOut"/> when set.
    /// Throws <see cref="ArgumentException"/> naming the option or row at fault.
    /// </summary>
    public static async Task RunAsync(EvaluationOptions options, OnnxInferenceOptions inference, AnomalyOptions anomaly, TextWriter stdout, TextWriter stderr)
    {
        inference.ModelDirectory = Path.GetFullPath(options.ModelDirectory);
        inference.MaxWait = TimeSpan.Zero;
        var series = SeriesCsv.Read(options.Data, options.TimeColumn, options.ValueColumn);

        using var model = OnnxModel.Load(inference.ModelDirectory, inference);
        var d = model.Descriptor;
        var horizons = Horizons(options.Horizons, d);
        var from = options.ScoreFrom is { } scoreFrom ? series.IndexAtOrAfter(scoreFrom) : 0;
        var to = options.ScoreTo is { } scoreTo ? series.IndexAtOrAfter(scoreTo) : series.Count;
        if (to - from <= horizons.Max())
        {
            throw new ArgumentException($"--score-from/--score-to leave {Math.Max(0, to - from)} rows to score; horizon {horizons.Max()} needs more.");
        }

        var fitRows = from > 0 ? from : Math.Max(d.Warmup, series.Count / 3);
        var baselines = new Baselines(series.Values, fitRows, options.Season);
        var run = new Run(series, d, horizons, from, to, baselines);
        var stream = new SensorStream("evaluate", anomaly);
        await using (var forecaster = new BatchingForecaster(model, inference, NullLogger<BatchingForecaster>.Instance))
        {
            // The first call ends with the warm-up, so the scaler it fixed is seen before any refit.
            for (int start = 0, count; start < series.Count; start += count)
            {
                count = Math.Min(start == 0 ? d.Warmup : Chunk, series.Count - start);
                var readings = new SensorReading[count];
                for (var i = 0; i < count; i++)
                {
                    readings[i] = new SensorReading("evaluate", series.Times[start + i], series.Values[start + i]);
                }

                var output = await stream.ApplyAsync(readings, forecaster);
                run.WarmupStatus ??= stream.Status();
                if (output.Predictions.Count != count)
                {
                    throw new InvalidOperationException($"The stream applied {output.Predictions.Count} of {count} rows from row {start}.");
                }

                for (var i = 0; i < count; i++)
                {
                    run.Score(start + i, output.Predictions[i], output.Scores[i]);
                }

                run.Anomalies += output.Anomalies.Count;
            }
        }

        if (run.Metrics is null || run.Metrics.Values.Any(m => m[0].Windows == 0))
        {
            throw new ArgumentException(
                $"No forecast window could be scored: the model forecasts after {Math.Max(d.Warmup, d.Signature == ModelSignature.Window ? d.Window : 0)} readings, and every scored window needs {horizons.Max()} rows after it before row {to}.");
        }

        Print(run, stdout, Path.GetFileName(series.Path), model, anomaly, stream.Refits);
        if (options.AnomaliesOut is { } anomaliesPath)
        {
            NabOutput.Write(anomaliesPath, series, run.Scores);
            stderr.WriteLine($"evaluate: wrote {series.Rows.Length} rows of timestamp,value,anomaly_score to {anomaliesPath}");
        }
    }

    private static int[] Horizons(IReadOnlyList<int>? horizons, ModelDescriptor model)
    {
        if (horizons is null or [])
        {
            return [model.Horizon];
        }

        if (horizons.Any(h => h < 1 || h > model.Horizon))
        {
            throw new ArgumentException($"evaluate: horizons '{string.Join(',', horizons)}' must be whole numbers from 1 to the model's horizon {model.Horizon}.");
        }

        return [.. horizons.Distinct().Order()];
    }

    private static void Print(Run run, TextWriter stdout, string file, OnnxModel model, AnomalyOptions anomaly, long refits)
    {
        var d = model.Descriptor;
        var series = run.Series;
        var status = run.WarmupStatus!;
        stdout.WriteLine($"evaluate: model {d.Id} ({(d.Signature == ModelSignature.Window ? $"window {d.Window}" : "stateful step")}, horizon {d.Horizon}) on {file}: {series.Count} rows");
        stdout.WriteLine($"  scaler mean {status.ScalerMean:G6}, scale {status.ScalerScale:G6} (first {d.Warmup} rows); normalised metrics divide by this scale");
        if (refits > 0)
        {
            stdout.WriteLine($"  scaler refitted {refits} times after the level drifted ({anomaly.DriftReadings} readings in a row beyond {anomaly.DriftScore} scales)");
        }

        stdout.WriteLine($"  scored targets: rows {run.From} to {run.To - 1} ({series.TimeTexts[run.From]} .. {series.TimeTexts[run.To - 1]})");
        stdout.WriteLine(
            $"  baselines: season {run.Baselines.Season} rows ({(run.Baselines.SeasonDetected ? "detected" : "given")}), " +
            $"exponential smoothing alpha {run.Baselines.Alpha:0.00}; both fitted on rows before the scored ones");
        if (series.OutOfOrder > 0)
        {
            stdout.WriteLine($"  note: {series.OutOfOrder} rows are earlier than a row before them and were ignored, as a sensor grain ignores late readings (their anomaly score repeats the previous row's)");
        }

        if (series.Duplicates > 0)
        {
            stdout.WriteLine($"  note: {series.Duplicates} rows repeat the previous row's timestamp and were ignored, as a sensor grain ignores duplicates");
        }

        if (run.IrregularIntervals > 0)
        {
            stdout.WriteLine($"  note: {run.IrregularIntervals} intervals differ from the median by over 1%; windows pair rows by position");
        }

        var report = new List<object>();
        foreach (var (horizon, metrics) in run.Metrics!)
        {
            var summaries = metrics.Select(m => m.Summarise()).ToArray();
            stdout.WriteLine();
            stdout.WriteLine($"horizon {horizon}: {summaries[0].Windows} windows, mean over steps 1-{horizon}");
            stdout.WriteLine($"  {"forecaster",-24} {"MSE(norm)",10} {"MAE(norm)",10} {"MSE",12} {"MAE",10} {"coverage",9}");
            foreach (var s in summaries)
            {
                var coverage = s.Coverage?.ToString("0.000", CultureInfo.InvariantCulture) ?? "";
                stdout.WriteLine($"  {s.Forecaster,-24} {s.NormalisedMse,10:0.0000} {s.NormalisedMae,10:0.0000} {s.Mse,12:G5} {s.Mae,10:G5} {coverage,9}");
            }

            var bestNaive = summaries.Skip(1).Take(2).MinBy(s => s.Mse)!;
            stdout.WriteLine(
                $"  model vs repeat-last: {Change(summaries[0].Mse, summaries[1].Mse)} MSE; vs best of repeat-last and seasonal naive ({bestNaive.Forecaster}): " +
                $"{Change(summaries[0].Mse, bestNaive.Mse)}; interval coverage {summaries[0].Coverage ?? 0:0.000} (nominal {d.IntervalLevel:0.00})");
            report.Add(new { horizon, windows = summaries[0].Windows, forecasters = summaries });
        }

        var longest = run.Metrics!.Last().Value[0];
        stdout.WriteLine();
        stdout.WriteLine($"per step ({d.Id}, horizon {longest.Horizon} windows):");
        stdout.WriteLine($"  {"step",5} {"MSE(norm)",10} {"MAE(norm)",10} {"coverage",9} {"repeat-last MSE(norm)",22}");
        foreach (var step in Steps(longest.Horizon))
        {
            stdout.WriteLine(
                $"  {step,5} {longest.NormalisedMse(step),10:0.0000} {longest.NormalisedMae(step),10:0.0000} {longest.Coverage(step),9:0.000} {run.Metrics!.Last().Value[1].NormalisedMse(step),22:0.0000}");
        }

        stdout.WriteLine($"anomaly episodes opened or escalated: {run.Anomalies} (anomaly score threshold {anomaly.Threshold}, after {anomaly.LearningReadings} learning readings)");
        stdout.WriteLine(JsonSerializer.Serialize(
            new
            {
                model = d.Id,
                data = file,
                rows = series.Count,
                scoredFrom = series.TimeTexts[run.From],
                scoredTo = series.TimeTexts[run.To - 1],
                scalerMean = status.ScalerMean,
                scalerScale = status.ScalerScale,
                season = run.Baselines.Season,
                alpha = run.Baselines.Alpha,
                intervalLevel = d.IntervalLevel,
                anomalies = run.Anomalies,
                duplicates = series.Duplicates,
                outOfOrder = series.OutOfOrder,
                refits,
                horizons = report,
            },
            Json));
    }

    private static string Change(double model, double baseline) =>
        string.Create(CultureInfo.InvariantCulture, $"{(model - baseline) / baseline * 100:+0.0;-0.0}%");

    /// <summary>Every step up to 24, then a few milestones and the last.</summary>
    private static IEnumerable<int> Steps(int horizon) =>
        horizon <= 24 ? Enumerable.Range(1, horizon) : new[] { 1, 2, 3, 6, 12, 24, 48, 72, 96, 120, 144, 168, 336, 720, horizon }.Where(s => s <= horizon).Distinct();

    /// <summary>The scoring state of one evaluation.</summary>
    private sealed class Run(SeriesCsv series, ModelDescriptor model, int[] horizons, int from, int to, Baselines baselines)
    {
        public SeriesCsv Series => series;

        public Baselines Baselines => baselines;

        public int From => from;

        public int To => to;

        public double[] Scores { get; } = new double[series.Count];

        public SortedDictionary<int, ForecastMetrics[]>? Metrics { get; private set; }

        /// <summary>The status once the warm-up fixed the scaler; its scale normalises the metrics, refits or not.</summary>
        public SensorStatus? WarmupStatus { get; set; }

        public int Anomalies { get; set; }

        public int IrregularIntervals { get; } = CountIrregular(series.Times);

        /// <summary>Scores the forecasts issued after row <paramref name="origin"/> for every horizon whose targets lie in the scored rows.</summary>
        public void Score(int origin, Prediction prediction, double score)
        {
            Scores[origin] = score;
            if (prediction.Model == SensorStream.WarmupModelId || origin + 1 < from || origin < baselines.Season - 1)
            {
                return;
            }

            var scale = WarmupStatus!.ScalerScale;
            Metrics ??= new SortedDictionary<int, ForecastMetrics[]>(horizons.ToDictionary(
                h => h,
                h => new[]
                {
                    new ForecastMetrics(model.Id, h, scale),
                    new ForecastMetrics("repeat-last", h, scale),
                    new ForecastMetrics($"seasonal-naive({baselines.Season})", h, scale),
                    new ForecastMetrics(string.Create(CultureInfo.InvariantCulture, $"exp-smoothing({baselines.Alpha:0.00})"), h, scale),
                }));
            var values = series.Values;
            foreach (var (horizon, metrics) in Metrics)
            {
                if (origin + horizon >= to)
                {
                    continue;
                }

                for (var step = 1; step <= horizon; step++)
                {
                    var actual = values[origin + step];
                    var forecast = prediction.Steps[step - 1];
                    metrics[0].Add(step, forecast.Mean, actual);
                    metrics[0].AddInterval(step, forecast.Lower, forecast.Upper, actual);
                    metrics[1].Add(step, baselines.RepeatLast(origin, step), actual);
                    metrics[2].Add(step, baselines.SeasonalNaive(origin, step), actual);
                    metrics[3].Add(step, baselines.ExponentialSmoothing(origin, step), actual);
                }
            }
        }

        private static int CountIrregular(DateTimeOffset[] times)
        {
            var intervals = times.Zip(times.Skip(1), (a, b) => (b - a).Ticks).ToArray();
            var median = intervals.Order().ElementAt(intervals.Length / 2);
            return intervals.Count(i => Math.Abs(i - median) > median / 100);
        }
    }
}
