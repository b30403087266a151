using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Forecast.Testing;

/// <summary>
/// Debian's <c>mosquitto</c> broker on a free loopback port, anonymous, for one test class. Its queues are
/// unbounded (<c>max_queued_messages 0</c>), as a deployment that must not drop an offline silo's messages sets them.
/// </summary>
public sealed class MosquittoFixture : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("forecast-mosquitto-").FullName;
    private ServerProcess? _server;

    public int Port { get; } = FreePort.Next();

    /// <summary>As <c>Mqtt:Server</c> takes it.</summary>
    public string Server => $"127.0.0.1:{Port}";

    public async Task InitializeAsync()
    {
        var config = Path.Combine(_directory, "mosquitto.conf");
        await File.WriteAllTextAsync(config, string.Join('\n',
            $"listener {Port.ToString(CultureInfo.InvariantCulture)} 127.0.0.1",
            "allow_anonymous true",
            "persistence false",
            "max_queued_messages 0",
            "max_inflight_messages 0",
            "log_dest stdout",
            ""));
        _server = await ServerProcess.StartAsync("/usr/sbin/mosquitto", "mosquitto", ["-c", config], AcceptsAsync);
    }

    public Task DisposeAsync()
    {
        _server?.Dispose();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    private async Task<bool> AcceptsAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
