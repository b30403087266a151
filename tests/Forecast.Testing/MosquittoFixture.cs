using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Forecast.Testing;

/// <summary>
/// Debian's <c>mosquitto</c> broker on a free loopback port, anonymous, for one test class. Its queues are
/// unbounded (<c>max_queued_messages 0</c>), as a deployment that must not drop an offline silo's messages sets them.
/// </summary>
public sealed class MosquittoFixture : IAsyncLifetime
{
    private const string Executable = "/usr/sbin/mosquitto";
    private readonly string _directory = Directory.CreateTempSubdirectory("forecast-mosquitto-").FullName;
    private readonly StringBuilder _log = new();
    private Process? _process;

    public int Port { get; } = FreePort.Next();

    /// <summary>As <c>Mqtt:Server</c> takes it.</summary>
    public string Server => $"127.0.0.1:{Port}";

    public async Task InitializeAsync()
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} is missing: install Debian's mosquitto (apt-get install -y mosquitto).");
        }

        var config = Path.Combine(_directory, "mosquitto.conf");
        await File.WriteAllTextAsync(config, string.Join('\n',
            $"listener {Port.ToString(CultureInfo.InvariantCulture)} 127.0.0.1",
            "allow_anonymous true",
            "persistence false",
            "max_queued_messages 0",
            "max_inflight_messages 0",
            "log_dest stdout",
            ""));
        var start = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(config);
        _process = Process.Start(start) ?? throw new InvalidOperationException($"{Executable} did not start.");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!await AcceptsAsync())
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"mosquitto did not listen on port {Port}:{Environment.NewLine}{Log()}");
            }

            await Task.Delay(50);
        }
    }

    public string Log()
    {
        lock (_log)
        {
            return _log.ToString();
        }
    }

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process?.Dispose();
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

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }
}
