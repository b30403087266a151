using System.Globalization;
using System.Text.Json;
using Forecast.Faults;

// The fault suite: tests/faults/run.sh runs this. Each scenario starts its own servers and silos, injects its
// fault under a steady load, then reports readings produced, durable and lost, recovery times and peak memory.
if (args is ["--mock-broker"])
{
    return BrokerProcess.Serve();
}

if (args is ["--help"] or ["-h"])
{
    Console.WriteLine(Settings.Usage);
    return 0;
}

Settings settings;
try
{
    settings = Settings.Parse(args);
}
catch (ArgumentException exception)
{
    Console.Error.WriteLine(exception.Message);
    return 2;
}

var reports = new List<ScenarioReport>();
var scenarios = new Scenarios(settings, Console.Out);
foreach (var name in settings.Scenarios)
{
    var report = await scenarios.RunAsync(name);
    reports.Add(report);
    Console.WriteLine($"  {(report.Passed ? "passed" : "FAILED")}: {Describe(report)}");
}

Console.WriteLine();
Console.WriteLine($"{"scenario",-14} {"produced",9} {"durable",9} {"lost",6} {"recovery s (each fault)",-28} {"drain s",7} {"peak MB",8} {"result",6}");
foreach (var r in reports)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{r.Scenario,-14} {r.Produced,9:N0} {r.Durable,9:N0} {r.Lost,6:N0} {Recovery(r),-28} {r.Drain,7:N1} {r.PeakRssMb,8:N0} {(r.Passed ? "passed" : "FAILED"),6}"));
}

var json = JsonSerializer.Serialize(new
{
    machine = new { Environment.ProcessorCount, os = System.Runtime.InteropServices.RuntimeInformation.OSDescription },
    settings = new { settings.Sensors, settings.Rate, settings.Silos, settings.SiloOptions },
    scenarios = reports.Select(r => new
    {
        r.Scenario, r.Fault, r.Produced, r.Durable, r.Lost, r.Late, recoverySeconds = r.Recovery, drainSeconds = r.Drain,
        r.PeakRssMb, r.ReadingsPerSecond, r.Passed, r.Failure, r.Alerts,
        marks = r.Timeline?.Marks.Select(m => new { at = m.At, what = m.What }),
        // Four rows a second: readings produced but not yet durable, the share of calls durable within 1 s over the
        // second before, MiB per silo.
        samples = r.Timeline?.Samples is { } samples ? samples.Skip(1).Select((sample, i) => new
        {
            at = sample.At,
            behind = sample.Ends.Sum() - sample.Committed.Sum(),
            withinSecond = Timeline.WithinLastSecond(samples, i + 1),
            rssMb = sample.Silos.ToDictionary(s => s.Key.ToString(CultureInfo.InvariantCulture), s => Math.Round(s.Value.RssMb, 1)),
        }) : null,
    }),
}, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase });
await File.WriteAllTextAsync(settings.Report, json);
Console.WriteLine($"report: {Path.GetFullPath(settings.Report)}");
return reports.All(r => r.Passed) ? 0 : 1;

static string Recovery(ScenarioReport r) =>
    r.Recovery.Count == 0 ? "-" : string.Join(" ", r.Recovery.Select(s => s is { } v ? v.ToString("0.0", CultureInfo.InvariantCulture) : "never"));

static string Describe(ScenarioReport r) => string.Create(CultureInfo.InvariantCulture,
    $"{r.Scenario}: {r.Produced:N0} produced, {r.Durable:N0} durable, {r.Lost:N0} lost; recovery {Recovery(r)} s; drain {r.Drain:N1} s; peak {r.PeakRssMb:N0} MB{(r.Alerts is { } a ? $"; alerts: {a.Received:N0} received, peak {a.PeakHeld:N0} held, {a.Unstored:N0} refused by the disk, {a.HeldAtEnd} held at the end, {a.ErrorLines} error lines" : "")}{(r.Failure is null ? "" : "; " + r.Failure)}");
