using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Forecast.Testing;

/// <summary>
/// A loopback TCP proxy in front of a server that holds every byte sent to the server for <see cref="Delay"/>
/// before passing it on (a delay line, so a large request is late once, not once per packet). Answers come back
/// at once. It makes a real server slow, as a congested link or an overloaded disk does.
/// </summary>
public sealed class DelayProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();

    public DelayProxy(int targetPort, TimeSpan delay)
    {
        _target = targetPort;
        Delay = delay;
        _listener.Start();
        _ = Task.Run(AcceptAsync);
    }

    /// <summary>How long each byte sent to the server is held.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>The port clients connect to instead of the server's.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Task.Run(() => RelayAsync(client));
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                await server.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
                using var closed = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                var toServer = DelayedCopyAsync(client.GetStream(), server.GetStream(), closed.Token);
                var toClient = server.GetStream().CopyToAsync(client.GetStream(), closed.Token);
                await Task.WhenAny(toServer, toClient);
                await closed.CancelAsync();
            }
            catch (Exception exception) when (exception is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // Either side went away: the connection ends, as it would without the proxy.
            }
        }
    }

    private async Task DelayedCopyAsync(Stream from, Stream to, CancellationToken cancellation)
    {
        var line = Channel.CreateUnbounded<(long Due, byte[] Bytes)>();
        var writer = Task.Run(async () =>
        {
            await foreach (var (due, bytes) in line.Reader.ReadAllAsync(cancellation))
            {
                var wait = due - Stopwatch.GetTimestamp();
                if (wait > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), cancellation);
                }

                await to.WriteAsync(bytes, cancellation);
            }
        }, cancellation);
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await from.ReadAsync(buffer, cancellation)) > 0)
        {
            var due = Stopwatch.GetTimestamp() + (long)(Delay.TotalSeconds * Stopwatch.Frequency);
            await line.Writer.WriteAsync((due, buffer[..read]), cancellation);
        }

        line.Writer.Complete();
        await writer;
    }
}
