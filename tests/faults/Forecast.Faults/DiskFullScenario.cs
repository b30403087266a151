using System.Diagnostics;
using System.Text.Json;

namespace Forecast.Faults;

/// <summary>
/// The alert outboxes under the disk-full fault, beside the readings' figures. <c>Received</c>: requests the alert
/// receiver took; <c>PeakHeld</c>: the most outbox writes held in memory at once (both silos); <c>Unstored</c>: writes
/// the full disk refused; <c>HeldAtEnd</c>/<c>PendingAtEnd</c>: what was still held or undelivered after the drain
/// (0 when the outboxes recovered by themselves); <c>ErrorLines</c>: the silos' "takes no writes" error lines.
/// </summary>
internal sealed record AlertFigures(long Received, int PeakHeld, long Unstored, int HeldAtEnd, int PendingAtEnd, int ErrorLines);

/// <summary>The disk-full fault: the silos' alert outboxes on a tiny tmpfs that is filled up under load, then freed.</summary>
internal sealed partial class Scenarios
{
    private const string StoreError = "the outbox's store takes no writes";
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private AlertFigures? _alerts;

    private async Task<ScenarioReport> DiskFullAsync()
    {
        using var disk = await TinyDisk.MountAsync(4 * 1024 * 1024);
        await using var receiver = await HttpReceiver.StartAsync();
        var peakHeld = 0;
        return await RunAsync("disk-full", $"the alert outboxes' 4 MB tmpfs filled for {settings.DiskFullFor.TotalSeconds:0} s while spikes raise alerts", async (rig, timeline) =>
        {
            timeline.Mark("disk full");
            disk.Fill();
            var full = Stopwatch.StartNew();
            while (full.Elapsed < settings.DiskFullFor)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
                peakHeld = Math.Max(peakHeld, (await OutboxesAsync(rig)).Sum(d => d.Held));
            }

            disk.Free();
            return [timeline.Mark("disk freed")];
        }, rig =>
        {
            // Each silo's outbox in files of its own on the tmpfs (not in the rig's Redis), sent to a Slack-like receiver;
            // a short learning period, so the producer's spikes raise alerts soon after the warm-up.
            rig.SpikeEvery = 60;
            rig.SiloExtras = slot =>
            [
                "--Alerts:Outbox:Store", "Files", "--Alerts:Outbox:Directory", Path.Combine(disk.Path, $"silo{slot.Number}"),
                "--Alerts:Slack:Url", receiver.Url, "--Anomaly:LearningReadings", "10", "--Anomaly:SuppressReadings", "5",
            ];
        }, async rig =>
        {
            // Once the readings are durable, the outboxes must have written what they held and delivered everything.
            var settle = Stopwatch.StartNew();
            var outboxes = await OutboxesAsync(rig);
            while (outboxes.Any(d => d.Held > 0 || d.Pending > 0) && settle.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
                outboxes = await OutboxesAsync(rig);
            }

            _alerts = new AlertFigures(
                receiver.Requests.Count(r => r.Status is >= 200 and < 300), peakHeld, outboxes.Sum(d => d.Unstored), outboxes.Sum(d => d.Held),
                outboxes.Sum(d => d.Pending), rig.Silos.Sum(s => s.Process?.CountLines(StoreError) ?? 0));
            log.WriteLine($"  alerts: {_alerts}");
            // Refused writes, not the peak held: a held write lasts only until its event is delivered (milliseconds
            // to this receiver), so one-second samples can miss every one of them.
            return _alerts.Unstored == 0 ? "no outbox write was refused while the disk was full (no alerts raised?): the scenario tested nothing"
                : _alerts.HeldAtEnd > 0 || _alerts.PendingAtEnd > 0 ? $"the outboxes still hold {_alerts.HeldAtEnd} writes and {_alerts.PendingAtEnd} events a minute after the drain"
                : null;
        });
    }

    /// <summary>Every running silo's alert deliveries, as <c>GET /alerts</c> counts them; a silo that does not answer counts as none.</summary>
    private static async Task<List<(int Held, int Pending, long Unstored)>> OutboxesAsync(Rig rig)
    {
        var deliveries = new List<(int, int, long)>();
        foreach (var silo in rig.Silos.Where(s => s.Running))
        {
            try
            {
                using var alerts = JsonDocument.Parse(await Http.GetStringAsync(new Uri($"{silo.Url}/alerts")));
                deliveries.AddRange(alerts.RootElement.GetProperty("deliveries").EnumerateArray().Select(d =>
                    (d.GetProperty("held").GetInt32(), d.GetProperty("pending").GetInt32(), d.GetProperty("unstored").GetInt64())));
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
            }
        }

        return deliveries;
    }
}
