using System.Text.Json;
using System.Text.Json.Serialization;
using Forecast.Abstractions;
using Forecast.Models;
using Forecast.Models.Registry;
using Microsoft.AspNetCore.Http.Features;

namespace Forecast.Host.Endpoints;

/// <summary>
/// Model management over HTTP: <c>POST /models</c> (a gzip tar of a model folder), <c>GET /models</c>,
/// <c>POST /models/{name}@{version}/deploy</c>, <c>POST /models/rollback</c> and <c>GET /models/audit</c>. Every
/// call needs a key of <c>Api:KeyFile</c> (<c>Authorization: Bearer KEY</c>); without a key file they all answer
/// 401, so a silo never takes models from anyone by default. The key's label is the name the audit log records.
/// </summary>
internal static class ModelEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static WebApplication MapModelEndpoints(this WebApplication app)
    {
        var keyFile = app.Configuration["Api:KeyFile"];
        ApiKeys keys;
        try
        {
            keys = ApiKeys.Load(keyFile, "Api:KeyFile", "NAME");
        }
        catch (InvalidOperationException exception)
        {
            // A configuration error: the host reports ArgumentExceptions at start as such.
            throw new ArgumentException(exception.Message, exception);
        }

        var models = app.MapGroup("/models").AddEndpointFilter(async (context, next) =>
        {
            if (keys.Open)
            {
                return Results.Problem("Model management needs API keys: start the silo with --Api:KeyFile FILE (one 'KEY NAME' per line).", statusCode: StatusCodes.Status401Unauthorized);
            }

            if (keys.Authorize(context.HttpContext.Request.Headers.Authorization) is not { } name)
            {
                return Results.Problem("Missing or unknown API key: send 'Authorization: Bearer KEY' with a key of Api:KeyFile.", statusCode: StatusCodes.Status401Unauthorized);
            }

            context.HttpContext.Items[nameof(ApiKeys)] = name.Length > 0 ? name : "api-key";
            return await next(context);
        });

        models.MapPost("", async (HttpContext http, ModelUploads uploads, CancellationToken cancellationToken) =>
        {
            // Kestrel's own limit (30 MB) would cut a model off before Models:MaxUploadBytes does; the read below stops at ours.
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = null;
            }

            var package = await ReadBodyAsync(http.Request, uploads.MaxUploadBytes, cancellationToken);
            return Reply(await uploads.UploadAsync(package, Actor(http), cancellationToken));
        });

        models.MapGet("", async (IGrainFactory grains) => Results.Json(Listing(await Registry(grains).GetAsync()), Json));

        models.MapGet("/audit", async (IGrainFactory grains) => Results.Json(await Registry(grains).AuditAsync(), Json));

        models.MapPost("/rollback", async (HttpContext http, IGrainFactory grains) => Reply(await Registry(grains).RollbackAsync(Actor(http))));

        models.MapPost("/{id}/deploy", async (string id, HttpContext http, IGrainFactory grains, CancellationToken cancellationToken) =>
        {
            DeployRequest? request;
            try
            {
                request = await JsonSerializer.DeserializeAsync<DeployRequest>(http.Request.Body, Json, cancellationToken);
            }
            catch (JsonException exception)
            {
                return Results.Problem($"The body is not a deploy request ({{\"mode\": \"canary\", \"percent\": 10, \"sensors\": \"*\"}}): {exception.Message}", statusCode: StatusCodes.Status400BadRequest);
            }

            if (request?.Deployment() is not { } deployment)
            {
                return Results.Problem("mode must be primary, canary or shadow (body: {\"mode\": \"canary\", \"percent\": 10, \"sensors\": \"*\"}).", statusCode: StatusCodes.Status400BadRequest);
            }

            return Reply(await Registry(grains).DeployAsync(id, deployment, Actor(http)));
        });
        return app;
    }

    private static IModelRegistryGrain Registry(IGrainFactory grains) => grains.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.Key);

    private static string Actor(HttpContext http) => (string)http.Items[nameof(ApiKeys)]!;

    /// <summary>The body, up to one byte past the limit (so the upload gate can name the size it refuses).</summary>
    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream();
        var buffer = new byte[81_920];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, cancellationToken)) > 0 && body.Length <= limit)
        {
            body.Write(buffer, 0, read);
        }

        return body.ToArray();
    }

    private static IResult Reply(RegistryReply reply) => reply.Status is >= 200 and < 300
        ? Results.Json(new { version = reply.Version is { } v ? Entry(v, reply.Snapshot) : null }, Json, statusCode: reply.Status)
        : Results.Problem(reply.Error, statusCode: reply.Status);

    private static object Listing(RegistrySnapshot snapshot) => new
    {
        snapshot.Revision,
        Versions = snapshot.Versions.Select(v => Entry(v, snapshot)).ToList(),
    };

    private static object Entry(ModelVersion version, RegistrySnapshot snapshot)
    {
        var live = snapshot.Accuracy.FirstOrDefault(a => a.Model == version.Id);
        return new
        {
            version.Id,
            version.Name,
            version.Version,
            version.Stage,
            Percent = version.Stage is ModelStage.Canary or ModelStage.Shadow ? version.Percent : (int?)null,
            Sensors = version.Stage is ModelStage.Canary or ModelStage.Shadow ? version.Sensors : null,
            version.Signature,
            version.Horizon,
            version.Window,
            version.GoldenCases,
            version.Sha256,
            version.Bytes,
            version.Uploaded,
            version.UploadedBy,
            version.Since,
            Live = live is null ? null : new { live.Readings, live.Mae, live.Coverage },
        };
    }

    /// <summary>The body of a deploy: <c>{"mode": "canary", "percent": 10, "sensors": "*"}</c>.</summary>
    private sealed record DeployRequest(string? Mode, int? Percent, string? Sensors)
    {
        /// <summary>
        /// The deployment asked for, or null when the mode is not primary, canary or shadow. A canary defaults to
        /// 10% of sensors (a careful first step), a shadow to all of them (it costs compute, never answers).
        /// </summary>
        public Deployment? Deployment() => Mode?.ToLowerInvariant() switch
        {
            "primary" => new Deployment(ModelStage.Primary),
            "canary" => new Deployment(ModelStage.Canary, Percent ?? 10, Sensors ?? "*"),
            "shadow" => new Deployment(ModelStage.Shadow, Percent ?? 100, Sensors ?? "*"),
            _ => null,
        };
    }
}
