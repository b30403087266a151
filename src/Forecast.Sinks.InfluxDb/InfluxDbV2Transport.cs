using System.Text;
using InfluxDB.Client;
using InfluxDB.Client.Api.Domain;
using InfluxDB.Client.Core.Exceptions;

namespace Forecast.Sinks.InfluxDb;

/// <summary>
/// The InfluxDB 2.x write API through InfluxDB.Client's <see cref="WriteApiAsync"/> (never its batching
/// <c>WriteApi</c>, whose buffer is unbounded and which drops batches after its own retries). Also
/// serves InfluxDB 3.x and 1.8+.
/// </summary>
internal sealed class InfluxDbV2Transport : IInfluxDbTransport
{
    private readonly InfluxDBClient _client;
    private readonly WriteApiAsync _writeApi;
    private readonly string _org;
    private readonly string _bucket;

    public InfluxDbV2Transport(InfluxDbSinkOptions options, string token)
    {
        _org = options.Org!;
        _bucket = options.Bucket!;
        _client = new InfluxDBClient(new InfluxDBClientOptions(options.Url!.TrimEnd('/'))
        {
            Token = token,
            Org = _org,
            Bucket = _bucket,
            Timeout = options.RequestTimeout,
        });
        if (options.Gzip)
        {
            _client.EnableGzip();
        }

        _writeApi = _client.GetWriteApiAsync();
    }

    public async Task<WriteOutcome> WriteAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var span = body.Span;
        if (!span.IsEmpty && span[^1] == (byte)'\n')
        {
            span = span[..^1];
        }

        // The whole batch goes as one record: the client joins records with newlines anyway.
        var text = Encoding.UTF8.GetString(span);
        try
        {
            await _writeApi.WriteRecordAsync(text, WritePrecision.Ns, _bucket, _org, cancellationToken).ConfigureAwait(false);
            return WriteOutcome.Success(204);
        }
        catch (HttpException ex) when (ex.Status != 0)
        {
            var error = ex.ErrorBody is { } json && (json.Value<string>("message") ?? json.Value<string>("error")) is { Length: > 0 } message
                ? message
                : ex.Message;
            TimeSpan? retryAfter = ex.RetryAfter is { } seconds ? TimeSpan.FromSeconds(seconds) : null;
            return WriteOutcome.Failure(ex.Status, error, retryAfter);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // Network failures surface as HttpException with status 0, HttpRequestException or a timeout.
            return WriteOutcome.NoResponse($"{ex.GetType().Name}: {ex.Message}");
        }
    }

    public void Dispose() => _client.Dispose();
}
