using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Forecast.Testing;

/// <summary>
/// A real HTTP receiver (Kestrel on a free loopback port) for alert deliveries: it records every request
/// (headers and body) and answers what <see cref="Answer"/> says, 204 by default.
/// </summary>
public sealed class HttpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private HttpReceiver(WebApplication app, int port) => (_app, Port) = (app, port);

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}/hook";

    /// <summary>Every request received, in order.</summary>
    public ConcurrentQueue<ReceivedRequest> Requests { get; } = new();

    /// <summary>The answer to the next request: status, and an optional Retry-After in seconds.</summary>
    public Func<ReceivedRequest, (int Status, int? RetryAfter)> Answer { get; set; } = _ => (204, null);

    public static async Task<HttpReceiver> StartAsync()
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new HttpReceiver(app, port);
        app.Run(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var raw = body.ToArray();
            var request = new ReceivedRequest(
                context.Request.Path,
                context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()),
                System.Text.Encoding.UTF8.GetString(raw),
                DateTimeOffset.UtcNow) { Raw = raw };
            var (status, retryAfter) = receiver.Answer(request);
            receiver.Requests.Enqueue(request with { Status = status });
            context.Response.StatusCode = status;
            if (retryAfter is { } seconds)
            {
                context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            if (status >= 400)
            {
                await context.Response.WriteAsync($"receiver says {status}");
            }
        });
        await app.StartAsync();
        return receiver;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>One request an <see cref="HttpReceiver"/> took, and the status it answered.</summary>
public sealed record ReceivedRequest(string Path, IReadOnlyDictionary<string, string> Headers, string Body, DateTimeOffset At, int Status = 0)
{
    /// <summary>The body's bytes (a binary body such as OTLP protobuf).</summary>
    public byte[] Raw { get; init; } = [];
}
