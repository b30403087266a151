using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Text;

namespace Forecast.Sinks.InfluxDb.Tests;

/// <summary>A request the stub received; gzip bodies are already decompressed.</summary>
public sealed record StubRequest(int Index, string Method, Uri Url, IReadOnlyDictionary<string, string> Headers, string Body, long ReceivedAt)
{
    public string[] Lines => Body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>What the stub answers.</summary>
public sealed record StubResponse(int Status, string? Body = null, string? RetryAfter = null);

/// <summary>A small local HTTP server that records requests and answers as the test says.</summary>
public sealed class StubInfluxServer : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly Func<StubRequest, StubResponse> _respond;
    private readonly Task _loop;
    private int _count;

    private StubInfluxServer(HttpListener listener, string url, Func<StubRequest, StubResponse> respond)
    {
        _listener = listener;
        Url = url;
        _respond = respond;
        _loop = Task.Run(LoopAsync);
    }

    public string Url { get; }

    public ConcurrentQueue<StubRequest> Requests { get; } = new();

    public static StubInfluxServer Start(Func<StubRequest, StubResponse> respond)
    {
        for (var attempt = 0; ; attempt++)
        {
            var url = $"http://127.0.0.1:{FreePort.Next()}/";
            var listener = new HttpListener();
            listener.Prefixes.Add(url);
            try
            {
                listener.Start();
                return new StubInfluxServer(listener, url.TrimEnd('/'), respond);
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close();
            }
        }
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            var received = Stopwatch.GetTimestamp();
            var headers = context.Request.Headers.AllKeys
                .Where(k => k is not null)
                .ToDictionary(k => k!, k => context.Request.Headers[k] ?? "", StringComparer.OrdinalIgnoreCase);
            Stream body = context.Request.InputStream;
            if (headers.TryGetValue("Content-Encoding", out var encoding) && encoding.Contains("gzip", StringComparison.OrdinalIgnoreCase))
            {
                body = new GZipStream(body, CompressionMode.Decompress);
            }

            string text;
            using (var reader = new StreamReader(body, Encoding.UTF8))
            {
                text = await reader.ReadToEndAsync();
            }

            var request = new StubRequest(Interlocked.Increment(ref _count) - 1, context.Request.HttpMethod, context.Request.Url!, headers, text, received);
            Requests.Enqueue(request);
            var response = _respond(request);
            context.Response.StatusCode = response.Status;
            if (response.RetryAfter is not null)
            {
                context.Response.AddHeader("Retry-After", response.RetryAfter);
            }

            if (response.Body is not null)
            {
                var bytes = Encoding.UTF8.GetBytes(response.Body);
                context.Response.ContentType = "application/json";
                context.Response.ContentLength64 = bytes.Length;
                await context.Response.OutputStream.WriteAsync(bytes);
            }

            context.Response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}
