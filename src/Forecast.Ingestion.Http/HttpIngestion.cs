using System.IO.Compression;
using System.Text.Json;
using Forecast.Abstractions;
using Microsoft.AspNetCore.Http;

namespace Forecast.Ingestion.Http;

/// <summary>One request's way through the edge: key, body, decoding, room, durable write.</summary>
internal sealed partial class HttpIngestion(
    HttpIngestionOptions options,
    ApiKeys keys,
    ReadingDecoder decoder,
    InFlightGate gate,
    IReadingWriter writer,
    TimeProvider clock,
    ILogger<HttpIngestion> logger)
{
    private long _requests;
    private long _refused;

    /// <summary>Requests answered 204.</summary>
    public long Accepted => Interlocked.Read(ref _requests);

    /// <summary>Requests refused for their content (400, 413).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    public async Task<IResult> WriteAsync(HttpContext context, bool json)
    {
        var request = context.Request;
        if (keys.Authorize(request.Headers.Authorization) is not { } prefix)
        {
            return Error(StatusCodes.Status401Unauthorized, "unauthorized", "Send an API key of Edge:ApiKeyFile as 'Authorization: Token KEY' or 'Bearer KEY'.");
        }

        var precision = TimestampPrecision.Nanoseconds;
        if (!json && !TimestampPrecisions.TryParse(request.Query["precision"], out precision))
        {
            return Refuse(StatusCodes.Status400BadRequest, "invalid", $"precision '{request.Query["precision"]}' is not one of ns, us, ms, s.");
        }

        var (body, problem) = await ReadBodyAsync(request, context.RequestAborted);
        if (problem is not null)
        {
            return problem;
        }

        if (json && !LooksLikeJson(body!))
        {
            return Refuse(StatusCodes.Status400BadRequest, "invalid", "POST /readings takes JSON: a reading object or an array of them; send line protocol to /api/v2/write.");
        }

        var decoded = decoder.DecodeFor(null, body, clock.GetUtcNow(), precision);
        if (!decoded.IsValid)
        {
            return Refuse(StatusCodes.Status400BadRequest, "invalid", decoded.Detail!, decoded.Reason);
        }

        if (decoded.Readings.FirstOrDefault(r => !r.SensorId.StartsWith(prefix, StringComparison.Ordinal)) is { } outside)
        {
            return Error(StatusCodes.Status403Forbidden, "forbidden", $"This API key may write sensors starting with '{prefix}', not '{ReadingDecoder.Shorten(outside.SensorId)}'.");
        }

        return await WriteDurablyAsync(context, decoded.Readings);
    }

    private async Task<IResult> WriteDurablyAsync(HttpContext context, IReadOnlyList<SensorReading> readings)
    {
        if (!gate.TryEnter(readings.Count))
        {
            context.Response.Headers.RetryAfter = RetryAfterSeconds;
            return Error(StatusCodes.Status429TooManyRequests, "too many requests", $"{gate.InFlight} readings are in flight (Edge:MaxInFlight {options.MaxInFlight}); retry after {RetryAfterSeconds} s.");
        }

        try
        {
            await writer.WriteAsync(readings, context.RequestAborted);
            Interlocked.Increment(ref _requests);
            return Results.NoContent();
        }
        catch (Exception exception) when (!context.RequestAborted.IsCancellationRequested)
        {
            LogWriteFailed(logger, exception, readings.Count);
            context.Response.Headers.RetryAfter = RetryAfterSeconds;
            return Error(StatusCodes.Status503ServiceUnavailable, "unavailable", $"The readings could not be made durable ({exception.Message}); send them again.");
        }
        finally
        {
            gate.Exit(readings.Count);
        }
    }

    private string RetryAfterSeconds => ((int)Math.Ceiling(options.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The body, decompressed when gzip, and no more than <see cref="HttpIngestionOptions.MaxBodyBytes"/>.</summary>
    private async Task<(byte[]? Body, IResult? Problem)> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > options.MaxBodyBytes)
        {
            return (null, TooLarge());
        }

        var encoding = request.Headers.ContentEncoding.ToString();
        if (encoding is not ("" or "identity" or "gzip"))
        {
            return (null, Refuse(StatusCodes.Status415UnsupportedMediaType, "unsupported", $"Content-Encoding '{encoding}' is not gzip or identity."));
        }

        var source = encoding == "gzip" ? new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true) : request.Body;

        await using (source)
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[81_920];
            try
            {
                int read;
                while ((read = await source.ReadAsync(chunk, cancellationToken)) > 0)
                {
                    // Counted after decompression, so a small gzip body cannot expand past the limit.
                    if (buffer.Length + read > options.MaxBodyBytes)
                    {
                        return (null, TooLarge());
                    }

                    buffer.Write(chunk, 0, read);
                }
            }
            catch (InvalidDataException exception)
            {
                return (null, Refuse(StatusCodes.Status400BadRequest, "invalid", $"The gzip body does not decompress: {exception.Message}"));
            }

            return (buffer.ToArray(), null);
        }
    }

    private IResult TooLarge() =>
        Refuse(StatusCodes.Status413PayloadTooLarge, "request too large", $"The body is over Edge:MaxBodyBytes ({options.MaxBodyBytes} bytes, after decompression); send fewer readings per request.");

    private static bool LooksLikeJson(byte[] body) => body.AsSpan().TrimStart(" \t\r\n"u8) is [(byte)'{' or (byte)'[', ..];

    private IResult Refuse(int status, string code, string message, string? reason = null)
    {
        Interlocked.Increment(ref _refused);
        return Error(status, code, message, reason);
    }

    /// <summary>InfluxDB's error body: <c>{"code": ..., "message": ...}</c>, with our reason code where there is one.</summary>
    private static IResult Error(int status, string code, string message, string? reason = null) =>
        Results.Json(new ErrorBody(code, message, reason), ErrorJson, statusCode: status);

    private static readonly JsonSerializerOptions ErrorJson = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    private sealed record ErrorBody(string Code, string Message, string? Reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "HTTP ingest: {Readings} readings could not be made durable; answered 503")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, int readings);
}
