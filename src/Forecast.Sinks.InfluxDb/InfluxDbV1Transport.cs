using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;

namespace Forecast.Sinks.InfluxDb;

/// <summary>The InfluxDB 1.x <c>/write</c> HTTP API, with the sink's own <see cref="HttpClient"/>.</summary>
internal sealed class InfluxDbV1Transport : IInfluxDbTransport
{
    private readonly HttpClient _http;
    private readonly Uri _writeUri;
    private readonly bool _gzip;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _timeProvider;

    // The last request's gzip buffer, for the next: the sink sends one request at a time, each of up to
    // BatchSize lines, and a fresh buffer per request was a thirteenth of a reading's allocations.
    private MemoryStream? _spare;

    public InfluxDbV1Transport(InfluxDbSinkOptions options, string? token, TimeProvider timeProvider, HttpMessageHandler? handler = null)
    {
        var baseUri = new Uri(options.Url!.TrimEnd('/') + "/");
        var query = new StringBuilder("write?db=").Append(Uri.EscapeDataString(options.Database!));
        if (!string.IsNullOrEmpty(options.RetentionPolicy))
        {
            query.Append("&rp=").Append(Uri.EscapeDataString(options.RetentionPolicy));
        }

        query.Append("&precision=ns");
        _writeUri = new Uri(baseUri, query.ToString());
        _gzip = options.Gzip;
        _timeout = options.RequestTimeout;
        _timeProvider = timeProvider;

        _http = new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            // Each request gets its own timeout below, so a slow write is a retryable failure, not a hang.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        if (!string.IsNullOrEmpty(token))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", token);
        }
        else if (!string.IsNullOrEmpty(options.Username))
        {
            var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.Username}:{options.Password}"));
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", credentials);
        }
    }

    public Uri WriteUri => _writeUri;

    public async Task<WriteOutcome> WriteAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        var compressed = _gzip ? Interlocked.Exchange(ref _spare, null) ?? new MemoryStream() : null;
        using HttpContent content = compressed is null ? new ReadOnlyMemoryContent(body) : Compress(body, compressed);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
        if (_gzip)
        {
            content.Headers.ContentEncoding.Add("gzip");
        }

        try
        {
            using var response = await _http.PostAsync(_writeUri, content, timeout.Token).ConfigureAwait(false);

            // Answered, so the request's body was sent whole: its buffer can take the next one.
            Reuse(compressed);
            if (response.IsSuccessStatusCode)
            {
                return WriteOutcome.Success((int)response.StatusCode);
            }

            var text = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            return WriteOutcome.Failure((int)response.StatusCode, WriteOutcome.ErrorFromBody(text), RetryAfter(response));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return WriteOutcome.NoResponse($"no answer from {_writeUri.GetLeftPart(UriPartial.Authority)} within {_timeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException ex)
        {
            return WriteOutcome.NoResponse($"{_writeUri.GetLeftPart(UriPartial.Authority)}: {ex.Message}");
        }
        catch (IOException ex)
        {
            return WriteOutcome.NoResponse($"{_writeUri.GetLeftPart(UriPartial.Authority)}: {ex.Message}");
        }
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - _timeProvider.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    private void Reuse(MemoryStream? compressed)
    {
        if (compressed is not null)
        {
            compressed.SetLength(0);
            Volatile.Write(ref _spare, compressed);
        }
    }

    private static ByteArrayContent Compress(ReadOnlyMemory<byte> body, MemoryStream compressed)
    {
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(body.Span);
        }

        return new ByteArrayContent(compressed.GetBuffer(), 0, (int)compressed.Length);
    }

    public void Dispose() => _http.Dispose();
}
