using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace Forecast.Alerting.Tests;

/// <summary>Silences through the HTTP API of a real Kestrel host: bad requests refused, matching openings held back, kept across restarts.</summary>
public sealed class SilenceTests : ReceiverTest
{
    private readonly HttpClient _http = new();

    public override async Task DisposeAsync()
    {
        _http.Dispose();
        await base.DisposeAsync();
    }

    [Theory]
    [InlineData("{\"sensor\": \"pump-*\"}", "must end")]
    [InlineData("{\"duration\": \"01:00:00\"}", "'sensor'")]
    [InlineData("{\"sensor\": \"pump-*\", \"duration\": \"-01:00:00\"}", "above zero")]
    [InlineData("{\"sensor\": \"pump-*\", \"endsAt\": \"2001-01-01T00:00:00Z\"}", "after now")]
    [InlineData("{\"sensor\": \"pump-*\", \"endsAt\": \"2099-01-01T00:00:00Z\", \"duration\": \"01:00:00\"}", "not both")]
    [InlineData("{\"sensor\": \"pump-*\", \"duration\": \"an hour\"}", "not a silence")]
    [InlineData("[1, 2", "not a silence")]
    public async Task A_bad_silence_is_refused_with_what_is_wrong(string body, string message)
    {
        await using var app = await StartAsync();

        using var response = await _http.PostAsync($"{app.Url}/silences", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(await _http.GetFromJsonAsync<JsonElement[]>($"{app.Url}/silences") ?? []);
    }

    [Fact]
    public async Task A_silence_holds_back_openings_of_matching_sensors_lets_resolutions_through_and_survives_a_restart()
    {
        string id;
        await using (var app = await StartAsync())
        {
            using var created = await _http.PostAsJsonAsync($"{app.Url}/silences", new { sensor = "line-1/*", duration = "02:00:00", comment = "pump service" });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        }

        await using (var app = await StartAsync())
        {
            var listed = await _http.GetFromJsonAsync<JsonElement[]>($"{app.Url}/silences");
            Assert.Equal(id, Assert.Single(listed!).GetProperty("id").GetString());

            await app.Harness.Outbox.EnqueueAsync([
                Events.Of(AlertEventKind.Opened, "line-1/pump", 1),
                Events.Of(AlertEventKind.Opened, "line-2/pump", 1),
                Events.Of(AlertEventKind.Resolved, "line-1/pump", 2),
            ]);
            await Events.UntilAsync(() => Receiver.Requests.Count == 2, "two events delivered");
            Assert.Equal(["evt_line-2_pump_Opened_1", "evt_line-1_pump_Resolved_2"], Receiver.Requests.Select(r => r.Headers["webhook-id"]));
            Assert.Equal(1, app.Harness.Outbox.Silenced);

            using var deleted = await _http.DeleteAsync($"{app.Url}/silences/{id}");
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
            using var again = await _http.DeleteAsync($"{app.Url}/silences/{id}");
            Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
            await app.Harness.Outbox.EnqueueAsync([Events.Of(AlertEventKind.Opened, "line-1/pump", 3)]);
            await Events.UntilAsync(() => Receiver.Requests.Count == 3, "the opening after the silence was removed");
        }
    }

    private async Task<Api> StartAsync()
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        builder.Services.AddAlerting(o => o.Configure(options =>
        {
            options.Webhook.Url = new Uri(Receiver.Url);
            options.Webhook.Secret = Secret;
            options.Outbox.Directory = Folder;
            options.Outbox.DrainTimeout = TimeSpan.Zero;
        }));
        var app = builder.Build();
        app.MapAlerting();
        await app.StartAsync();
        return new Api(app, $"http://127.0.0.1:{port}");
    }

    private sealed record Api(WebApplication App, string Url) : IAsyncDisposable
    {
        public AlertHarnessView Harness => new(App.Services);

        public async ValueTask DisposeAsync() => await App.DisposeAsync();
    }

    private sealed record AlertHarnessView(IServiceProvider Services)
    {
        public Outbox.AlertOutbox Outbox => Services.GetRequiredService<Outbox.AlertOutbox>();
    }
}
