using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json;
using Forecast.Abstractions;
using Forecast.Host.Hosting;
using Forecast.Host.Verification;
using Forecast.Sinks.InfluxDb;

namespace Forecast.Host.Verbs;

/// <summary>
/// <c>forecast verify</c>: the loss checker for a deployment. Compares the readings that entered (the Kafka readings
/// topic, or a file) with the readings InfluxDB holds (the sink's <c>reading</c> mirror), per sensor; prints a
/// table (and JSON with <c>--json</c>), and exits 1 when a reading that entered in order is not durable.
/// </summary>
internal static class VerifyVerb
{
    /// <summary>Exit status when readings were lost.</summary>
    public const int LossFound = 1;

    public static Command Create()
    {
        var kafka = new Option<string>("--kafka") { Description = "Read what entered from this Kafka cluster's readings topic", HelpName = "BOOTSTRAP" };
        var topic = new Option<string>("--topic") { Description = "The readings topic (default sensor-readings)", HelpName = "TOPIC", DefaultValueFactory = _ => "sensor-readings" };
        var file = new Option<string>("--file") { Description = "Or read what entered from a file of messages, one per line (JSON readings or line protocol)", HelpName = "FILE" };
        var from = new Option<DateTimeOffset?>("--from") { Description = "First reading time checked (ISO 8601; default: the first that entered)", HelpName = "TIME", CustomParser = EvaluateVerb.Time };
        var to = new Option<DateTimeOffset?>("--to") { Description = "Last reading time checked (ISO 8601; default: the last that entered)", HelpName = "TIME", CustomParser = EvaluateVerb.Time };
        var sensors = new Option<string>("--sensors") { Description = "Sensors checked, a glob such as 'pump-*' (default: all)", HelpName = "GLOB", DefaultValueFactory = _ => "*" };
        var json = new Option<string>("--json") { Description = "Also write the report as JSON to this file ('-' for standard output)", HelpName = "FILE" };
        var timeout = new Option<TimeSpan>("--timeout") { Description = "How long reading the topic and InfluxDB may take (default 5m)", HelpName = "DURATION", CustomParser = Duration, DefaultValueFactory = _ => TimeSpan.FromMinutes(5) };
        var command = new Command("verify", "Checks a deployment for lost readings: what entered (Kafka topic or file) against what InfluxDB holds, per sensor. Needs the InfluxDb settings of the silos (--InfluxDb:Url ...) and their reading mirror (InfluxDb:WriteReadings, on by default). Exits 1 on loss.")
        {
            kafka, topic, file, from, to, sensors, json, timeout,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var (bootstrap, path) = (parse.GetValue(kafka), parse.GetValue(file));
            if ((bootstrap is null) == (path is null))
            {
                throw new ArgumentException("verify: give --kafka BOOTSTRAP (the readings topic) or --file FILE, one of them.");
            }

            var configuration = ForecastHostBuilder.Create(VerbConfiguration.Arguments(parse)).Configuration;
            if (!configuration.GetSection(InfluxDbSinkOptions.SectionName).Exists())
            {
                throw new ArgumentException("verify: give the silos' InfluxDB settings (--InfluxDb:Url, --InfluxDb:Database or Org/Bucket/Token): that is where it looks for durable readings.");
            }

            var influx = ValidatedOptions.Get(configuration, InfluxDbSinkOptions.SectionName, new InfluxDbSinkOptionsValidator());
            var (start, end, glob) = (parse.GetValue(from), parse.GetValue(to), SensorGlob.Parse(parse.GetValue(sensors)!));
            bool Keep(string sensor, DateTimeOffset time) => glob.IsMatch(sensor) && (start is null || time >= start) && (end is null || time <= end);

            var limit = parse.GetValue(timeout);
            var entered = bootstrap is not null
                ? EnteredReadings.FromKafka(bootstrap, parse.GetValue(topic)!, Keep, limit)
                : EnteredReadings.FromFile(path!, Keep);
            if (entered.Readings.Count == 0)
            {
                throw new ArgumentException(
                    $"verify: no reading entered in the range and sensors given ({entered.Messages} messages read, {entered.Refused} refused): nothing to verify, which is not the same as no loss.");
            }

            var first = start ?? DateTimeOffset.FromUnixTimeMilliseconds(entered.Readings.Values.Min(t => t.Min()));
            var last = end ?? DateTimeOffset.FromUnixTimeMilliseconds(entered.Readings.Values.Max(t => t.Max()));
            using var reader = new InfluxDbSeriesReader(influx, InfluxDbSink.TokenOf(influx));
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(limit);
            Dictionary<string, HashSet<long>> durable;
            try
            {
                durable = await reader.ReadingTimesAsync(first, last, deadline.Token);
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                throw new ArgumentException($"verify: InfluxDB at {influx.Url} cannot be read ({exception.Message}); no verdict.");
            }

            if (durable.Count == 0)
            {
                output.WriteLine($"InfluxDB holds no mirrored reading from {first:O} to {last:O}: is InfluxDb:WriteReadings on, and the database the silos write?");
            }

            var report = LossCheck.Compare(entered.Readings, durable);
            Print(report, entered, first, last, output);
            if (parse.GetValue(json) is { } target)
            {
                var text = JsonSerializer.Serialize(new
                {
                    from = first, to = last, entered = report.Entered, durable = report.Durable, lost = report.Lost, late = report.Late,
                    duplicates = report.Duplicates, messages = entered.Messages, refused = entered.Refused,
                    sensors = report.Sensors.Select(s => new { sensor = s.Sensor, entered = s.Entered, durable = s.Durable, lost = s.Lost, late = s.Late, duplicates = s.Duplicates, firstLost = s.FirstLost }),
                });
                if (target == "-")
                {
                    output.WriteLine(text);
                }
                else
                {
                    await File.WriteAllTextAsync(target, text, cancellationToken);
                }
            }

            return report.Lost > 0 ? LossFound : 0;
        });
        return command;
    }

    private static void Print(LossReport report, EnteredReadings entered, DateTimeOffset from, DateTimeOffset to, TextWriter output)
    {
        output.WriteLine($"{report.Sensors.Count:N0} sensors, readings from {from:O} to {to:O}; {entered.Messages:N0} messages read, {entered.Refused:N0} refused (dead-lettered by the silos)");
        output.WriteLine($"{"sensor",-32} {"entered",9} {"durable",9} {"lost",7} {"late",7} {"dupes",7}  first lost");
        // Sensors with loss first, then the rest, at most 50 lines: the JSON has every sensor.
        foreach (var s in report.Sensors.OrderByDescending(s => s.Lost).ThenBy(s => s.Sensor, StringComparer.Ordinal).Take(50))
        {
            output.WriteLine($"{s.Sensor,-32} {s.Entered,9:N0} {s.Durable,9:N0} {s.Lost,7:N0} {s.Late,7:N0} {s.Duplicates,7:N0}  {string.Join(", ", s.FirstLost.Select(t => t.ToString("O", CultureInfo.InvariantCulture)))}");
        }

        if (report.Sensors.Count > 50)
        {
            output.WriteLine($"... {report.Sensors.Count - 50:N0} more sensors (see --json)");
        }

        output.WriteLine($"{"total",-32} {report.Entered,9:N0} {report.Durable,9:N0} {report.Lost,7:N0} {report.Late,7:N0} {report.Duplicates,7:N0}");
        output.WriteLine(report.Lost == 0
            ? "No loss: every reading that entered in order is durable (late and duplicate readings are ignored by design)."
            : $"LOSS: {report.Lost:N0} readings that entered in order are not durable.");
    }

    private static TimeSpan Duration(ArgumentResult result)
    {
        var text = result.Tokens.Single().Value;
        if (Durations.TryParse(text, out var duration) && duration > TimeSpan.Zero)
        {
            return duration;
        }

        result.AddError(Durations.Error("--timeout", text));
        return default;
    }
}
