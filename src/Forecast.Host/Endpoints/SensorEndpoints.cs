using Forecast.Abstractions;

namespace Forecast.Host.Endpoints;

/// <summary>
/// <c>GET /sensors/{id}</c>: one sensor's counters, scaler, model and the silo it lives on, for operators
/// finding out what a sensor is doing and where (ids may contain slashes: <c>/sensors/pump-7/temp</c>).
/// </summary>
internal static class SensorEndpoints
{
    public static WebApplication MapSensorEndpoints(this WebApplication app)
    {
        app.MapGet("/sensors/{**id}", async (string? id, IGrainFactory grains) =>
        {
            if (string.IsNullOrWhiteSpace(id))
            {
                return Results.Problem("Name a sensor: /sensors/{id}.", statusCode: StatusCodes.Status400BadRequest);
            }

            var status = await grains.GetGrain<ISensorGrain>(id).GetStatusAsync();
            return status is { Applied: 0, LastApplied: null, Duplicates: 0, OutOfOrder: 0, Invalid: 0 }
                ? Results.Problem($"Sensor '{id}' has sent no readings.", statusCode: StatusCodes.Status404NotFound)
                : Results.Json(new
                {
                    sensor = id,
                    status.Model,
                    status.Shadow,
                    status.Silo,
                    status.LastApplied,
                    status.Applied,
                    status.Duplicates,
                    status.OutOfOrder,
                    status.Invalid,
                    status.WarmedUp,
                    status.ScalerMean,
                    status.ScalerScale,
                    status.Refits,
                    status.EpisodeOpen,
                });
        });
        return app;
    }
}
