using System.Text.Json;

namespace Forecast.Alerting.Tests;

/// <summary>Alerts in a real Alertmanager (Debian's prometheus-alertmanager): listed with their labels, gone once resolved.</summary>
public sealed class AlertmanagerDeliveryTests(AlertmanagerServer alertmanager) : IClassFixture<AlertmanagerServer>, IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("forecast-outbox-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task An_opened_alert_is_listed_with_its_labels_and_disappears_once_resolved()
    {
        await using var alerts = await StartAsync();

        await alerts.Outbox.EnqueueAsync([Events.Of(AlertEventKind.Opened, "am/pump-1", 1)]);
        var listed = await ListedAsync("am/pump-1", a => true);
        var labels = listed.GetProperty("labels");
        Assert.Equal("ForecastAnomaly", labels.GetProperty("alertname").GetString());
        Assert.Equal("warning", labels.GetProperty("severity").GetString());
        Assert.Equal("lstm-default@2", labels.GetProperty("model").GetString());
        Assert.EndsWith("/#/sensor/am%2Fpump-1", listed.GetProperty("generatorURL").GetString(), StringComparison.Ordinal);
        Assert.Contains("expected", listed.GetProperty("annotations").GetProperty("summary").GetString(), StringComparison.Ordinal);

        await alerts.Outbox.EnqueueAsync([Events.Of(AlertEventKind.Resolved, "am/pump-1", 2)]);
        await GoneAsync("am/pump-1");
    }

    [Fact]
    public async Task An_escalation_replaces_the_warning_alert_with_a_critical_one()
    {
        await using var alerts = await StartAsync();

        await alerts.Outbox.EnqueueAsync([Events.Of(AlertEventKind.Opened, "am/pump-2", 1)]);
        await ListedAsync("am/pump-2", a => Severity(a) == "warning");
        await alerts.Outbox.EnqueueAsync([Events.Of(AlertEventKind.Escalated, "am/pump-2", 2, AnomalySeverity.Critical)]);
        await ListedAsync("am/pump-2", a => Severity(a) == "critical");
        await Events.UntilAsync(() => Of("am/pump-2").Result.All(a => Severity(a) == "critical"), "the warning alert resolved");

        await alerts.Outbox.EnqueueAsync([Events.Of(AlertEventKind.Resolved, "am/pump-2", 3, AnomalySeverity.Critical)]);
        await GoneAsync("am/pump-2");
    }

    [Fact]
    public async Task Firing_alerts_are_sent_again_each_interval_and_after_a_restart()
    {
        await using (var before = await StartAsync())
        {
            await before.Outbox.EnqueueAsync([Events.Of(AlertEventKind.Opened, "am/pump-3", 1)]);
            await ListedAsync("am/pump-3", a => true);
        }

        var endsAt = EndsAt((await Of("am/pump-3")).Single());
        await using var after = await StartAsync();
        await Events.UntilAsync(() => Of("am/pump-3").Result.Any(a => EndsAt(a) > endsAt), "a resend moving endsAt ahead");
    }

    private static string? Severity(JsonElement alert) => alert.GetProperty("labels").GetProperty("severity").GetString();

    private static DateTimeOffset EndsAt(JsonElement alert) => alert.GetProperty("endsAt").GetDateTimeOffset();

    private async Task<List<JsonElement>> Of(string sensor) =>
        [.. (await alertmanager.AlertsAsync()).Where(a => a.GetProperty("labels").GetProperty("sensor").GetString() == sensor)];

    private async Task<JsonElement> ListedAsync(string sensor, Func<JsonElement, bool> match)
    {
        JsonElement? found = null;
        await Events.UntilAsync(() => (found = Of(sensor).Result.FirstOrDefault(match)) is { ValueKind: JsonValueKind.Object }, $"{sensor} listed by Alertmanager");
        return found!.Value;
    }

    private Task GoneAsync(string sensor) => Events.UntilAsync(() => Of(sensor).Result.Count == 0, $"{sensor} no longer listed");

    private Task<Harness> StartAsync() => Harness.StartAsync(_directory, o =>
    {
        o.Alertmanager.Url = new Uri(alertmanager.Url);
        o.Alertmanager.ResendInterval = TimeSpan.FromSeconds(1);
    });
}
