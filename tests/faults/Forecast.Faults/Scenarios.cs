using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Forecast.Faults;

/// <summary>
/// What one scenario came to. <c>Recovery</c>: seconds from each fault's end (a kill, a server's return) to every
/// partition committing again and 99% of calls durable within 1 s, null where that never happened. <c>Drain</c>:
/// seconds from the last reading produced to the last one committed (durable).
/// </summary>
internal sealed record ScenarioReport(
    string Scenario,
    string Fault,
    long Produced,
    long Durable,
    long Lost,
    long Late,
    IReadOnlyList<double?> Recovery,
    double? Drain,
    double PeakRssMb,
    double ReadingsPerSecond,
    string? Failure,
    Timeline? Timeline = null,
    AlertFigures? Alerts = null)
{
    public bool Passed => Failure is null && Lost == 0 && Recovery.All(r => r is not null);
}

/// <summary>The faults: each runs in a rig of its own under a steady load, then the loss check and the figures.</summary>
internal sealed partial class Scenarios(Settings settings, TextWriter log)
{
    // What a fault itself found wrong (a poison model taken), beside the loss check.
    private string? _faultFailure;

    public Task<ScenarioReport> RunAsync(string name) => name switch
    {
        "kill" => KillAsync(),
        "influx-outage" => RunAsync(name, $"influxd killed for {settings.InfluxOutage.TotalSeconds:0} s, then restarted on its data", async (rig, timeline) =>
        {
            timeline.Mark("influxd killed");
            rig.Influx.Kill();
            await Task.Delay(settings.InfluxOutage);
            await rig.Influx.StartProcessAsync();
            return [timeline.Mark("influxd back")];
        }),
        "redis-outage" => RunAsync(name, $"redis-server frozen (SIGSTOP) for {settings.RedisOutage.TotalSeconds:0} s", async (rig, timeline) =>
        {
            timeline.Mark("redis frozen");
            rig.Redis.Server.Pause();
            await Task.Delay(settings.RedisOutage);
            rig.Redis.Server.Resume();
            return [timeline.Mark("redis back")];
        }),
        "slow-sink" => SlowSinkAsync(),
        "disk-full" => DiskFullAsync(),
        "poison-model" => RunAsync(name, "model packages that must not be served (a cut graph, a lying manifest, a link, a climbing path, not a tar) uploaded to silo 1", async (rig, timeline) =>
        {
            timeline.Mark("poison uploads");
            _faultFailure = await PoisonModels.UploadAsync(rig.Silos[0].Url, rig.ApiKey, log);
            return [timeline.Mark("poison refused")];
        }),
        "storm" => RunAsync(name, "a third silo joins and leaves (SIGTERM) every 5 s for 60 s", async (rig, timeline) =>
        {
            SiloSlot? extra = null;
            var storm = Stopwatch.StartNew();
            while (storm.Elapsed < TimeSpan.FromSeconds(60))
            {
                if (extra is null)
                {
                    timeline.Mark("silo 3 joins");
                    extra = rig.AddSilo();
                }
                else if (extra.Running)
                {
                    timeline.Mark("silo 3 leaves");
                    await extra.Process!.TerminateAsync(TimeSpan.FromSeconds(30));
                }
                else
                {
                    timeline.Mark("silo 3 joins");
                    extra.Start();
                }

                await Task.Delay(TimeSpan.FromSeconds(5));
            }

            if (extra is { Running: true })
            {
                timeline.Mark("silo 3 leaves");
                await extra.Process!.TerminateAsync(TimeSpan.FromSeconds(30));
            }

            return [timeline.Mark("storm over")];
        }),
        _ => throw new ArgumentException($"unknown scenario {name}"),
    };

    private Task<ScenarioReport> KillAsync()
    {
        var kills = settings.Duration is { } duration ? (int)Math.Max(1, (duration - settings.Warmup - settings.After) / settings.KillEvery) : settings.Kills;
        return RunAsync("kill", $"{kills} SIGKILLs, one every {settings.KillEvery.TotalSeconds:0} s, each silo restarted {settings.RestartAfter.TotalSeconds:0} s later on its ports", async (rig, timeline) =>
        {
            var killedAt = new List<double>();
            for (var kill = 0; kill < kills; kill++)
            {
                var slot = rig.Silos[kill % rig.Silos.Count];
                killedAt.Add(timeline.Mark($"kill silo {slot.Number}"));
                log.WriteLine($"  kill {kill + 1}/{kills}: silo {slot.Number} (pid {slot.Process!.Id}) at {DateTime.Now:HH:mm:ss.fff}");
                slot.Kill();
                await Task.Delay(settings.RestartAfter);
                slot.Start();
                await Task.Delay(settings.KillEvery - settings.RestartAfter);
            }

            return killedAt;
        });
    }

    private async Task<ScenarioReport> SlowSinkAsync()
    {
        DelayProxy? proxy = null;
        try
        {
            return await RunAsync("slow-sink", $"every write to InfluxDB delayed {settings.SinkDelay.TotalSeconds:0.#} s by a TCP proxy for {settings.SlowFor.TotalSeconds:0} s", async (rig, timeline) =>
            {
                // The proxy is in place from the start, without delay until now: a disk or link turning slow.
                timeline.Mark("sink slow");
                proxy!.Delay = settings.SinkDelay;
                await Task.Delay(settings.SlowFor);
                proxy!.Delay = TimeSpan.Zero;
                return [timeline.Mark("sink fast again")];
            }, rig =>
            {
                proxy = new DelayProxy(rig.Influx.Port, TimeSpan.Zero);
                rig.InfluxUrl = $"http://127.0.0.1:{proxy.Port}";
            });
        }
        finally
        {
            proxy?.Dispose();
        }
    }

    /// <summary>
    /// Starts the rig and its silos, produces for the warm-up, the fault and <see cref="Settings.After"/>, runs
    /// <paramref name="fault"/> after the warm-up (it returns the times its faults ended), waits for every reading
    /// to be committed and checks InfluxDB with <c>forecast verify</c>.
    /// </summary>
    private async Task<ScenarioReport> RunAsync(
        string name, string fault, Func<Rig, Timeline, Task<List<double>>> inject, Action<Rig>? prepare = null, Func<Rig, Task<string?>>? check = null)
    {
        _faultFailure = null;
        _alerts = null;
        log.WriteLine($"== {name}: {fault}; {settings.Sensors:N0} sensors at {settings.Rate:N0} readings/s, {settings.Silos} silos");
        await using var rig = await Rig.StartAsync(settings);
        prepare?.Invoke(rig);
        for (var i = 0; i < settings.Silos; i++)
        {
            rig.AddSilo();
        }

        var file = Path.Combine(Path.GetTempPath(), $"forecast-faults-{name}-{Guid.NewGuid():N}.jsonl");
        using var timeline = new Timeline(rig);
        var producer = new Producer(rig.Kafka.BootstrapServers, settings.Sensors, settings.Rate, file, rig.SpikeEvery);
        var faultEnds = new List<double>();
        string? failure = null;
        using var progress = new CancellationTokenSource();
        using var producing = new CancellationTokenSource();
        var production = Task.CompletedTask;
        var reporting = ReportProgressAsync(rig, timeline, producer, progress.Token);
        try
        {
            await WaitListeningAsync(rig);

            // Production covers the warm-up, the fault (its length known only once it ends) and the aftermath.
            production = producer.RunAsync(producing.Token);
            await Task.Delay(settings.Warmup);
            faultEnds = await inject(rig, timeline);
            await Task.Delay(settings.After);
            await producing.CancelAsync();
            await production;
            var producedAt = timeline.Now;
            log.WriteLine($"  production ended: {producer.Produced:N0} readings; waiting for all to be durable");
            var caughtUp = await timeline.WaitCaughtUpAsync(producer.Produced, TimeSpan.FromMinutes(5));
            if (check is not null)
            {
                _faultFailure ??= await check(rig);
            }

            var drain = caughtUp ? timeline.Now - producedAt : (double?)null;
            failure = caughtUp ? _faultFailure : $"not every reading was committed within 5 minutes of the end of production ({timeline.Last?.Committed.Sum():N0} of {producer.Produced:N0})";
            var (durable, lost, late) = await VerifyAsync(rig, file);
            var recovery = faultEnds.Select((end, i) => timeline.RecoveredAfter(end, i + 1 < faultEnds.Count ? faultEnds[i + 1] : double.MaxValue)).ToList();
            return new ScenarioReport(name, fault, producer.Produced, durable, lost, late, recovery, drain, Math.Round(timeline.PeakRssMb, 1),
                Math.Round(producer.Produced / producedAt, 0), failure, timeline, _alerts);
        }
        catch (Exception exception) when (exception is InvalidOperationException or TimeoutException or IOException)
        {
            log.WriteLine($"  {name} failed: {exception.Message}");
            foreach (var silo in rig.Silos)
            {
                log.WriteLine($"  --- silo {silo.Number}, last output:\n{silo.Output[^Math.Min(silo.Output.Length, 3000)..]}");
            }

            return new ScenarioReport(name, fault, producer.Produced, 0, producer.Produced, 0, [], null, timeline.PeakRssMb, 0, exception.Message);
        }
        finally
        {
            if (settings.Logs is { } logs)
            {
                Directory.CreateDirectory(logs);
                foreach (var silo in rig.Silos)
                {
                    await File.WriteAllTextAsync(Path.Combine(logs, $"{name}-silo{silo.Number}.log"), silo.Output);
                }
            }

            await producing.CancelAsync();
            await production.ContinueWith(_ => { }, TaskScheduler.Default);
            await progress.CancelAsync();
            await reporting;
            File.Delete(file);
        }
    }

    /// <summary>
    /// Waits for every silo to answer HTTP. One that exits first (a bad <c>-- silo option</c>, say) fails the scenario
    /// at once with its output, instead of after a run and five minutes of waiting for readings no silo consumes.
    /// </summary>
    private static async Task WaitListeningAsync(Rig rig)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        foreach (var slot in rig.Silos)
        {
            await slot.Process!.WaitUntilAsync(
                async () =>
                {
                    using var response = await http.GetAsync($"{slot.Url}/health");
                    return true;
                },
                TimeSpan.FromSeconds(90));
        }
    }

    /// <summary>Runs <c>forecast verify --file</c> against the rig's InfluxDB, as a user checks a deployment.</summary>
    private async Task<(long Durable, long Lost, long Late)> VerifyAsync(Rig rig, string readings)
    {
        var json = Path.GetTempFileName();
        try
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[]
            {
                ForecastProcess.Dll, "verify", "--file", readings, "--json", json,
                "--InfluxDb:Url", rig.Influx.Url, "--InfluxDb:Version", "V1", "--InfluxDb:Database", rig.Database,
            })
            {
                start.ArgumentList.Add(arg);
            }

            using var verify = Process.Start(start) ?? throw new InvalidOperationException("could not start forecast verify");
            var output = verify.StandardOutput.ReadToEndAsync();
            var error = verify.StandardError.ReadToEndAsync();
            await verify.WaitForExitAsync();
            if (verify.ExitCode is not (0 or 1))
            {
                throw new InvalidOperationException($"forecast verify gave no verdict (exit {verify.ExitCode}): {await error}");
            }

            var report = JsonDocument.Parse(await File.ReadAllTextAsync(json)).RootElement;
            var (durable, lost, late) = (report.GetProperty("durable").GetInt64(), report.GetProperty("lost").GetInt64(), report.GetProperty("late").GetInt64());
            log.WriteLine($"  forecast verify: {durable:N0} durable, {lost:N0} lost, {late:N0} late");
            if (lost > 0)
            {
                log.WriteLine(await output);
            }

            return (durable, lost, late);
        }
        finally
        {
            File.Delete(json);
        }
    }

    private async Task ReportProgressAsync(Rig rig, Timeline timeline, Producer producer, CancellationToken cancellation)
    {
        try
        {
            Sample? previous = null;
            while (!cancellation.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(5), cancellation);
                if (timeline.Last is not { } last)
                {
                    continue;
                }

                var within = previous is null ? null : Timeline.WithinSecond(previous, last);
                var silos = string.Join(", ", rig.Silos.Select(s => last.Silos.TryGetValue(s.Number, out var silo)
                    ? $"{s.Number}: {silo.RssMb:N0} MB"
                    : $"{s.Number}: {(s.Running ? "starting" : "down")}"));
                log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  [{last.At,5:N0} s] produced {producer.Produced,9:N0} | durable {last.Committed.Sum(),9:N0} | calls within 1 s {(within is { } w ? $"{w:P1}" : "-"),6} | silos {silos}"));
                previous = last;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
