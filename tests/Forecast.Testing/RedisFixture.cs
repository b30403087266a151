using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Forecast.Testing;

/// <summary>Debian's <c>redis-server</c> on a free loopback port, without persistence, for one test class.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("forecast-redis-").FullName;
    private ServerProcess? _server;

    public int Port { get; } = FreePort.Next();

    /// <summary>The StackExchange.Redis connection string, as <c>Orleans:Redis</c> takes it.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    public async Task InitializeAsync() => _server = await ServerProcess.StartAsync(
        "/usr/bin/redis-server",
        "redis-server",
        ["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _directory],
        PingAsync);

    /// <summary>The running redis-server, for fault injection (<see cref="ServerProcess.Pause"/>).</summary>
    public ServerProcess Server => _server ?? throw new InvalidOperationException("redis-server was not started.");

    public Task DisposeAsync()
    {
        _server?.Dispose();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    private async Task<bool> PingAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
