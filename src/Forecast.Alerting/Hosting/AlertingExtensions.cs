using Forecast.Abstractions;
using Forecast.Alerting.Deliveries;
using Forecast.Alerting.Outbox;
using Forecast.Alerting.Silences;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;

namespace Forecast.Alerting;

/// <summary>Registers alert deliveries, the durable outbox and silences; map the HTTP API with <see cref="MapAlerting"/>.</summary>
public static class AlertingExtensions
{
    /// <summary>
    /// Alert deliveries bound to the <c>Alerts</c> section, when at least one is configured (else nothing: alert
    /// events are dropped). The outbox and silences go to Redis when <paramref name="redis"/> is given.
    /// </summary>
    public static IHostApplicationBuilder AddAlerting(this IHostApplicationBuilder builder, string? redis = null)
    {
        var section = builder.Configuration.GetSection(AlertingOptions.SectionName);
        var configured = section.Get<AlertingOptions>() ?? new AlertingOptions();
        if (!configured.Any)
        {
            return builder;
        }

        var firstUrl = builder.Configuration["Urls"]?.Split(';', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        builder.Services.AddAlerting(o =>
        {
            o.Bind(section);
            o.PostConfigure(a =>
            {
                a.Outbox.Redis = a.Outbox.Store == OutboxStore.Files ? null : a.Outbox.Redis ?? (string.IsNullOrWhiteSpace(redis) ? null : redis);
                a.ExternalUrl ??= firstUrl;
            });
        });
        return builder;
    }

    /// <summary>The same with options set by <paramref name="configure"/> (tests).</summary>
    public static IServiceCollection AddAlerting(this IServiceCollection services, Action<OptionsBuilder<AlertingOptions>> configure)
    {
        services.AddValidatedOptions<AlertingOptions, AlertingOptionsValidator>(configure);
        services.TryAddSingleton(TimeProvider.System);
        // The outbox's own connection, not a general IConnectionMultiplexer other components could pick up.
        services.AddSingleton(sp =>
        {
            var redis = ConfigurationOptions.Parse(sp.GetRequiredService<IOptions<AlertingOptions>>().Value.Outbox.Redis
                ?? throw new InvalidOperationException("The alert outbox has no Redis connection string."));
            // A Redis that is down fails an outbox write in about a second, not five, and never stops the start:
            // the grain's call waits for that write.
            redis.AbortOnConnectFail = false;
            redis.AsyncTimeout = redis.SyncTimeout = 1_000;
            return new AlertRedis(ConnectionMultiplexer.Connect(redis));
        });
        services.AddSingleton<IAlertStore>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<AlertingOptions>>().Value.Outbox;
            return options.Redis is null
                ? new FileAlertStore(options.Directory)
                : new RedisAlertStore(sp.GetRequiredService<AlertRedis>().Connection);
        });
        services.AddSingleton(sp => new SilenceRegistry(sp.GetRequiredService<IAlertStore>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<AlertingOptions>>().Value;
            var store = sp.GetRequiredService<IAlertStore>();
            var clock = sp.GetRequiredService<TimeProvider>();
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("Forecast.Alerting.Delivery");
            var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };
            IReadOnlyList<DeliveryChannel> channels = [.. Deliveries(options, store).Select(delivery => new DeliveryChannel(
                delivery, store, DeliveryChannel.Collection(options.Outbox.Name, delivery.Name), options.Outbox, http, clock, logger))];
            var adoption = options.Outbox.Redis is null ? null : new OutboxAdoption(
                sp.GetRequiredService<AlertRedis>().Connection, store, options.Outbox.Name, channels, options.Outbox.OrphanAfter, clock, logger);
            var outbox = new AlertOutbox(channels, sp.GetRequiredService<SilenceRegistry>(), options.Outbox, clock, sp.GetRequiredService<ILogger<AlertOutbox>>(), adoption);
            outbox.Publish(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>());
            return outbox;
        });
        services.RemoveAll<IAlertOutbox>();
        services.AddSingleton<IAlertOutbox>(sp => sp.GetRequiredService<AlertOutbox>());
        services.AddHostedService(sp => sp.GetRequiredService<AlertOutbox>());
        return services;
    }

    /// <summary>
    /// <c>GET /alerts</c> (each delivery's counters), and silences: <c>GET /silences</c>, <c>POST /silences</c>
    /// (<c>{"sensor": "pump-7/*", "duration": "02:00:00", "comment": "..."}</c>), <c>DELETE /silences/{id}</c>.
    /// Nothing is mapped when no delivery is configured.
    /// </summary>
    public static IEndpointRouteBuilder MapAlerting(this IEndpointRouteBuilder app)
    {
        if (app.ServiceProvider.GetService<AlertOutbox>() is null)
        {
            return app;
        }

        app.MapGet("/alerts", (AlertOutbox outbox) => Results.Json(new { deliveries = outbox.Channels.Select(c => c.Counters), silenced = outbox.Silenced }));
        app.MapGet("/silences", (SilenceRegistry silences) => Results.Json(silences.All, AlertJson.Options));
        app.MapPost("/silences", async (HttpContext context, SilenceRegistry silences) =>
        {
            SilenceRequest? request;
            try
            {
                request = await context.Request.ReadFromJsonAsync<SilenceRequest>(AlertJson.Options, context.RequestAborted);
            }
            catch (Exception exception) when (exception is System.Text.Json.JsonException or InvalidOperationException or BadHttpRequestException)
            {
                return Results.Problem($"The body is not a silence: {exception.Message} Send JSON such as {{\"sensor\": \"pump-7/*\", \"duration\": \"02:00:00\", \"comment\": \"pump service\"}}.", statusCode: StatusCodes.Status400BadRequest);
            }

            var (silence, error) = request is null ? (null, "The body is empty.") : await silences.AddAsync(request, context.RequestAborted);
            return silence is null
                ? Results.Problem(error, statusCode: StatusCodes.Status400BadRequest)
                : Results.Json(silence, AlertJson.Options, statusCode: StatusCodes.Status201Created);
        });
        app.MapDelete("/silences/{id}", async (string id, SilenceRegistry silences, CancellationToken cancellationToken) =>
            await silences.RemoveAsync(id, cancellationToken) ? Results.NoContent() : Results.Problem($"No silence '{id}'.", statusCode: StatusCodes.Status404NotFound));
        return app;
    }

    private static IEnumerable<IAlertDelivery> Deliveries(AlertingOptions options, IAlertStore store)
    {
        var text = new AlertText(options.ExternalUrl);
        if (options.Alertmanager.Url is { } alertmanager)
        {
            yield return new AlertmanagerDelivery(
                alertmanager, options.Alertmanager.ResendInterval, text, store, $"firing.{options.Outbox.Name}.alertmanager");
        }

        if (options.Webhook.Url is { } webhook)
        {
            var secret = AlertingOptionsValidator.Secret(options.Webhook.Secret, options.Webhook.SecretFile, "Alerts:Webhook:Secret", out _)!;
            WebhookSignature.TryParseSecret(secret, out var key);
            yield return new WebhookDelivery(webhook, key, text);
        }

        var slack = options.Slack.Url ?? (options.Slack.UrlFile is { } file ? new Uri(File.ReadAllText(file).Trim()) : null);
        if (slack is not null)
        {
            yield return new SlackDelivery(slack, text);
        }

        var routingKey = AlertingOptionsValidator.Secret(options.PagerDuty.RoutingKey, options.PagerDuty.RoutingKeyFile, "Alerts:PagerDuty:RoutingKey", out _);
        if (routingKey is not null)
        {
            yield return new PagerDutyDelivery(options.PagerDuty.Url, routingKey, text);
        }
    }
}

/// <summary>The Redis connection of the alert outbox and silences.</summary>
internal sealed record AlertRedis(IConnectionMultiplexer Connection);
