using System.Globalization;
using System.Text.Json;
using Forecast.Grains;
using Forecast.Evaluation;
using Forecast.Host.Verbs;
using Forecast.Host.Simulation;

namespace Forecast.Host.Tests;

public sealed class EvaluateVerbTests
{
    private static readonly string Bundled = Path.Combine(AppContext.BaseDirectory, "models", "default");
    private static readonly DateTime T0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task Evaluate_BeatsTheBaselines_AndComputesThemOnTheSameWindows()
    {
        var values = Simulated(seed: 11, rows: 700);
        var csv = WriteCsv(values);

        var (report, stdout) = await EvaluateAsync("--model", Bundled, "--data", csv, "--time-column", "timestamp", "--value-column", "value");

        var horizon = Assert.Single(report.GetProperty("horizons").EnumerateArray());
        Assert.Equal(12, horizon.GetProperty("horizon").GetInt32());
        var forecasters = horizon.GetProperty("forecasters").EnumerateArray().ToArray();
        Assert.Equal(["lstm-default@2", "repeat-last"], forecasters.Take(2).Select(f => f.GetProperty("forecaster").GetString()));
        Assert.StartsWith("seasonal-naive(", forecasters[2].GetProperty("forecaster").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("exp-smoothing(", forecasters[3].GetProperty("forecaster").GetString(), StringComparison.Ordinal);

        // The model is primed by row 47 (its 48-row warm-up) and the seasonal naive needs a season of
        // history: every origin from then on with 12 rows after it is scored.
        var first = Math.Max(47, report.GetProperty("season").GetInt32() - 1);
        var windows = horizon.GetProperty("windows").GetInt64();
        Assert.Equal(700 - 12 - first, windows);
        var origins = Enumerable.Range(first, (int)windows).ToArray();
        var repeatLast = origins.Average(t => Enumerable.Range(1, 12).Average(k => Math.Pow(values[t + k] - values[t], 2)));
        Assert.Equal(repeatLast, forecasters[1].GetProperty("mse").GetDouble(), 9);
        var scale = report.GetProperty("scalerScale").GetDouble();
        Assert.Equal(repeatLast / (scale * scale), forecasters[1].GetProperty("normalisedMse").GetDouble(), 9);

        var model = forecasters[0].GetProperty("mse").GetDouble();
        Assert.True(model < forecasters.Skip(1).Min(f => f.GetProperty("mse").GetDouble()), stdout);
        Assert.InRange(forecasters[0].GetProperty("coverage").GetDouble(), 0.8, 1.0);
        Assert.Equal(JsonValueKind.Null, forecasters[1].GetProperty("coverage").ValueKind);
        Assert.Contains("per step (lstm-default@2", stdout);
    }

    [Fact]
    public async Task Evaluate_ServesAWindowModelThroughTheSensorLogic()
    {
        var csv = WriteCsv(Simulated(seed: 12, rows: 500));

        var (report, stdout) = await EvaluateAsync(
            "--model", ModelsVerbTests.RepositoryFile("onnx", "models", "gru-window"), "--data", csv,
            "--time-column", "timestamp", "--value-column", "value", "--horizons", "1,12");

        var horizons = report.GetProperty("horizons").EnumerateArray().ToArray();
        Assert.Equal([1, 12], horizons.Select(h => h.GetProperty("horizon").GetInt32()));
        // A window model forecasts once 160 readings are buffered (row 159).
        var first = Math.Max(159, report.GetProperty("season").GetInt32() - 1);
        Assert.Equal(500 - 1 - first, horizons[0].GetProperty("windows").GetInt64());
        var longest = horizons[1].GetProperty("forecasters").EnumerateArray().ToArray();
        Assert.Equal("gru-window@2", longest[0].GetProperty("forecaster").GetString());
        Assert.True(longest[0].GetProperty("mse").GetDouble() < longest[1].GetProperty("mse").GetDouble(), stdout);
    }

    [Fact]
    public async Task Evaluate_ScoresOnlyTheRowsAsked_AndUsesTheGivenSeason()
    {
        var values = Enumerable.Range(0, 400).Select(t => 10.0 + (t % 4)).ToArray();
        var csv = WriteCsv(values);

        var (report, _) = await EvaluateAsync(
            "--model", Bundled, "--data", csv, "--time-column", "timestamp", "--value-column", "value", "--horizon", "4", "--season", "4",
            "--score-from", Stamp(300), "--score-to", Stamp(351));

        Assert.Equal(4, report.GetProperty("season").GetInt32());
        var horizon = Assert.Single(report.GetProperty("horizons").EnumerateArray());
        Assert.Equal(351 - 300 - 4 + 1, horizon.GetProperty("windows").GetInt64());
        var seasonal = horizon.GetProperty("forecasters")[2];
        Assert.Equal("seasonal-naive(4)", seasonal.GetProperty("forecaster").GetString());
        Assert.Equal(0, seasonal.GetProperty("mse").GetDouble());
        // Repeat-last over a 10,11,12,13 cycle, 12 windows from each phase: squared errors of steps 1-4 sum to
        // 14 (phase 0), 6, 6 and 14 (phase 3), so the mean over 16 phase-steps is 2.5.
        Assert.Equal(2.5, horizon.GetProperty("forecasters")[1].GetProperty("mse").GetDouble(), 9);
    }

    [Fact]
    public async Task Evaluate_WritesNabAnomalyScores_WithTheSpikeAtOne()
    {
        var values = Simulated(seed: 13, rows: 400);
        var spread = values.Max() - values.Min();
        values[340] += 3 * spread; // after the 256 learning readings (the 48 of the warm-up among them)
        var csv = WriteCsv(values);
        var scores = Path.Combine(Path.GetTempPath(), $"forecast-nab-{Guid.NewGuid():N}.csv");

        await EvaluateAsync("--model", Bundled, "--data", csv, "--time-column", "timestamp", "--value-column", "value", "--anomalies-out", scores);

        var lines = File.ReadAllLines(scores);
        Assert.Equal("timestamp,value,anomaly_score", lines[0]);
        Assert.Equal(401, lines.Length);
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.Equal(Stamp(340), rows[340][0]);
        Assert.Equal(values[340], double.Parse(rows[340][1], CultureInfo.InvariantCulture));
        var score = rows.Select(r => double.Parse(r[2], CultureInfo.InvariantCulture)).ToArray();
        Assert.All(score, s => Assert.InRange(s, 0, 1));
        Assert.Equal(1, score[340]);
        Assert.All(score.Take(256), s => Assert.Equal(0, s)); // learning: no decision
        Assert.All(score.Skip(341).Take(50), s => Assert.Equal(0, s)); // suppressed after the detection
        Assert.Equal(340, Array.FindIndex(score, s => s >= new AnomalyOptions().Threshold)); // the one detection
    }

    [Fact]
    public async Task Evaluate_IgnoresADuplicateTimestamp_ButGivesItsRowAScore()
    {
        var csv = WriteCsv(Simulated(seed: 14, rows: 200));
        var lines = File.ReadAllLines(csv).ToList();
        lines.Insert(101, lines[100].Split(',')[0] + ",123456");
        File.WriteAllLines(csv, lines);
        var scores = Path.Combine(Path.GetTempPath(), $"forecast-nab-{Guid.NewGuid():N}.csv");

        var (report, stdout) = await EvaluateAsync("--model", Bundled, "--data", csv, "--time-column", "timestamp", "--value-column", "value", "--anomalies-out", scores);

        Assert.Equal(200, report.GetProperty("rows").GetInt32());
        Assert.Contains("1 rows repeat the previous row's timestamp and were ignored", stdout);
        var written = File.ReadAllLines(scores);
        Assert.Equal(202, written.Length);
        Assert.Equal(written[100].Split(',')[2], written[101].Split(',')[2]);
        Assert.Equal("123456", written[101].Split(',')[1]);
    }

    [Fact]
    public void AnomalyScore_IsTheStreamsScore_AndZeroWhereItScoredNothing()
    {
        Assert.Equal(0, NabOutput.AnomalyScore(double.NaN));
        Assert.Equal(0.7, NabOutput.AnomalyScore(0.7));
    }

    [Fact]
    public async Task Evaluate_IgnoresRowsOutOfOrder_AsTheGrainDoes_AndCountsThem()
    {
        var csv = WriteCsv(Simulated(seed: 15, rows: 200));
        var lines = File.ReadAllLines(csv).ToList();
        lines.Insert(101, lines[90].Split(',')[0] + ",123456"); // a late row: earlier than the one before it
        File.WriteAllLines(csv, lines);
        var scores = Path.Combine(Path.GetTempPath(), $"forecast-nab-{Guid.NewGuid():N}.csv");

        var (report, stdout) = await EvaluateAsync("--model", Bundled, "--data", csv, "--time-column", "timestamp", "--value-column", "value", "--anomalies-out", scores);

        Assert.Equal(200, report.GetProperty("rows").GetInt32());
        Assert.Equal(1, report.GetProperty("outOfOrder").GetInt32());
        Assert.Contains("1 rows are earlier than a row before them and were ignored", stdout);
        var written = File.ReadAllLines(scores);
        Assert.Equal(202, written.Length);
        Assert.Equal(written[100].Split(',')[2], written[101].Split(',')[2]);
    }

    [Theory]
    [InlineData("time", "value", "has no column 'time' (columns: timestamp, value)")]
    [InlineData("timestamp", "temperature", "has no column 'temperature' (columns: timestamp, value)")]
    public async Task Evaluate_RefusesUnknownColumns(string timeColumn, string valueColumn, string message)
    {
        var csv = WriteCsv(Simulated(seed: 1, rows: 100));

        var error = await RefusedAsync("--model", Bundled, "--data", csv, "--time-column", timeColumn, "--value-column", valueColumn);

        Assert.Contains(message, error);
    }

    [Theory]
    [InlineData("2026-01-01T00:05:00Z,12.5abc", ":7: '12.5abc' in column 'value' is not a finite number")]
    [InlineData("2026-01-01T00:05:00Z,NaN", ":7: 'NaN' in column 'value' is not a finite number")]
    [InlineData("yesterday,12.5", ":7: 'yesterday' in column 'timestamp' is not a timestamp")]
    [InlineData("2026-01-01T00:05:00Z,12.5,extra", ":7: 3 fields, the header has 2")]
    public async Task Evaluate_RefusesABadRow_NamingTheLine(string row, string message)
    {
        var csv = WriteCsv(Simulated(seed: 1, rows: 100));
        var lines = File.ReadAllLines(csv);
        lines[6] = row;
        File.WriteAllLines(csv, lines);

        var error = await RefusedAsync("--model", Bundled, "--data", csv, "--time-column", "timestamp", "--value-column", "value");

        Assert.Contains(message, error);
    }

    [Theory]
    [InlineData("--horizon", "13", "must be whole numbers from 1 to the model's horizon 12")]
    [InlineData("--season", "0", "--season '0' must be a whole number of rows")]
    [InlineData("--score-from", "soon", "--score-from 'soon' is not a timestamp")]
    [InlineData("--frobnicate", "1", "unknown option '--frobnicate'")]
    public async Task Evaluate_RefusesBadOptions(string option, string value, string message)
    {
        var csv = WriteCsv(Simulated(seed: 1, rows: 100));

        var error = await RefusedAsync("--model", Bundled, "--data", csv, "--time-column", "timestamp", "--value-column", "value", option, value);

        Assert.Contains(message, error);
    }

    [Fact]
    public async Task Evaluate_SaysWhy_WhenTheSeriesIsTooShortToScore()
    {
        var csv = WriteCsv(Simulated(seed: 1, rows: 55));

        var error = await RefusedAsync("--model", Bundled, "--data", csv, "--time-column", "timestamp", "--value-column", "value");

        Assert.Contains("No forecast window could be scored", error);
    }

    private static double[] Simulated(int seed, int rows)
    {
        var sensor = new SimulatedSensor("evaluate-test", seed, anomalyRate: 0);
        return [.. Enumerable.Range(0, rows).Select(t => sensor.Next(t))];
    }

    private static string Stamp(int minute) => T0.AddMinutes(minute).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static string WriteCsv(double[] values)
    {
        var path = Path.Combine(Path.GetTempPath(), $"forecast-evaluate-{Guid.NewGuid():N}.csv");
        File.WriteAllLines(path, ["timestamp,value", .. values.Select((v, t) => string.Create(CultureInfo.InvariantCulture, $"{Stamp(t)},{v:R}"))]);
        return path;
    }

    private static async Task<(JsonElement Report, string Stdout)> EvaluateAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exitCode = await ForecastCommandLine.InvokeAsync(["evaluate", .. args], stdout, stderr);
        Assert.True(exitCode == 0, stderr.ToString());
        var text = stdout.ToString();
        return (JsonDocument.Parse(text.Trim().Split('\n')[^1]).RootElement, text);
    }

    /// <summary>Runs evaluate expecting it to refuse (exit status 2); returns what it printed on stderr.</summary>
    private static async Task<string> RefusedAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exitCode = await ForecastCommandLine.InvokeAsync(["evaluate", .. args], stdout, stderr);
        Assert.True(exitCode == ForecastCommandLine.Refused, $"exit {exitCode}\n{stdout}\n{stderr}");
        return stderr.ToString();
    }
}
