using System.Diagnostics;
using System.Text;

namespace Forecast.Testing;

/// <summary>
/// One of Debian's server binaries started by a test, with its output kept for failure messages; killed on
/// dispose. Starting fails loudly when the binary is missing, exits, or is not ready in time.
/// </summary>
public sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private ServerProcess(Process process) => _process = process;

    /// <summary>Starts <paramref name="executable"/> (from Debian's <paramref name="package"/>) and waits until <paramref name="ready"/>.</summary>
    public static async Task<ServerProcess> StartAsync(string executable, string package, IEnumerable<string> arguments, Func<Task<bool>> ready)
    {
        if (!File.Exists(executable))
        {
            throw new InvalidOperationException($"{executable} is missing: install Debian's {package} (apt-get install -y {package}; tests/run.sh does).");
        }

        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var server = new ServerProcess(Process.Start(start) ?? throw new InvalidOperationException($"{executable} did not start."));
        server._process.OutputDataReceived += (_, e) => server.Append(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!await ready())
        {
            if (server._process.HasExited || DateTime.UtcNow > deadline)
            {
                var log = server.Log();
                server.Dispose();
                throw new InvalidOperationException($"{Path.GetFileName(executable)} was not ready within 15 s:{Environment.NewLine}{log}");
            }

            await Task.Delay(50);
        }

        return server;
    }

    /// <summary>
    /// Freezes the server (SIGSTOP) until <see cref="Resume"/>: its port stays open and its data stays in memory,
    /// but nothing answers, as a hung server or a network partition looks to its clients.
    /// </summary>
    public void Pause() => Signal("STOP");

    /// <summary>Lets a paused server run again (SIGCONT).</summary>
    public void Resume() => Signal("CONT");

    public string Log()
    {
        lock (_log)
        {
            return _log.ToString();
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process.Dispose();
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

    private void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])
            ?? throw new InvalidOperationException("could not run kill");
        kill.WaitForExit();
    }
}
