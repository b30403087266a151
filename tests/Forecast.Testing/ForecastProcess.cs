using System.Diagnostics;
using System.Text;

namespace Forecast.Testing;

/// <summary>A <c>forecast run</c> silo in its own process, with its output kept for failure messages.</summary>
public sealed class ForecastProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ForecastProcess(Process process) => _process = process;

    /// <summary>The silo's process id.</summary>
    public int Id => _process.Id;

    /// <summary>Whether the silo's process has ended.</summary>
    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
            {
                var text = _output.ToString();
                return text.Length <= 20_000 ? text : text[^20_000..];
            }
        }
    }

    /// <summary>Lines of all the output so far that contain <paramref name="fragment"/>.</summary>
    public int CountLines(string fragment)
    {
        lock (_output)
        {
            return _output.ToString().Split('\n').Count(line => line.Contains(fragment, StringComparison.Ordinal));
        }
    }

    /// <summary>Arguments that put a silo into a fresh cluster named <paramref name="name"/>-*, clustered through Redis.</summary>
    public static string[] Clustered(string redis, string name) =>
        ["--Orleans:Redis", redis, "--Orleans:ClusterId", $"{name}-{Guid.NewGuid():N}"];

    /// <summary><c>forecast run --kafka</c> producing predictions to <c>sensor-predictions</c>, on free ports (HTTP too, unless <paramref name="extra"/> names <c>--urls</c>).</summary>
    public static ForecastProcess Run(string bootstrapServers, params string[] extra) => Run(bootstrapServers, new Dictionary<string, string>(), extra);

    /// <summary>The same with <paramref name="environment"/> variables set (such as <c>OTEL_*</c>).</summary>
    public static ForecastProcess Run(string bootstrapServers, IReadOnlyDictionary<string, string> environment, params string[] extra) => Start(
        [
            "--kafka", bootstrapServers,
            "--Kafka:PredictionsTopic", "sensor-predictions",
            "--Kafka:Producer:batch.size", "16384",
            // Predictions compress about 5 to 1, so the mock's partitions (about 5 MB each) hold that many more.
            "--Kafka:Producer:compression.type", "lz4",
            "--Kafka:Consumer:session.timeout.ms", "6000",
            .. extra.Contains("--urls") ? Array.Empty<string>() : ["--urls", "http://127.0.0.1:0"],
            .. extra,
        ],
        environment);

    /// <summary>
    /// The silo to run: <c>FORECAST_DLL</c> when set (the fault suite runs a ReadyToRun publish, as the image ships),
    /// else the build beside the tests.
    /// </summary>
    public static string Dll => Environment.GetEnvironmentVariable("FORECAST_DLL") is { Length: > 0 } dll ? dll : Path.Combine(AppContext.BaseDirectory, "forecast.dll");

    /// <summary><c>forecast run</c> with <paramref name="arguments"/>, its Orleans ports free ones.</summary>
    public static ForecastProcess Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        foreach (var arg in new[]
        {
            Dll, "run",
            "--Orleans:SiloPort", FreePort.NextText(),
            "--Orleans:GatewayPort", FreePort.NextText(),
        }.Concat(arguments))
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start forecast");
        var silo = new ForecastProcess(process);
        process.OutputDataReceived += (_, e) => silo.Append(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return silo;
    }

    /// <summary>SIGTERM, as Kubernetes stops a pod; returns the exit status once the silo has stopped.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var wait = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(wait.Token);
        return _process.ExitCode;
    }

    /// <summary>Waits for the silo to stop by itself (after <c>--duration</c>) and for its output to be read to the end.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var wait = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(wait.Token);
        return _process.ExitCode;
    }

    /// <summary>
    /// Polls <paramref name="done"/> (an HTTP look at the silo, say) every 500 ms until it holds; an
    /// <see cref="HttpRequestException"/> or an HTTP timeout counts as not yet (the silo is not listening, is slow to
    /// answer, or the answer is a 404). Fails with
    /// the silo's output when the silo exits first or <paramref name="timeout"/> passes.
    /// </summary>
    public async Task WaitUntilAsync(Func<Task<bool>> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (HasExited)
            {
                throw new InvalidOperationException($"the silo exited:\n{Output}");
            }

            try
            {
                if (await done())
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException exception) when (exception.InnerException is TimeoutException)
            {
                // Listening, but too slow to answer while it starts: not yet either.
            }

            await Task.Delay(500);
        }

        throw new TimeoutException($"not reached within {timeout.TotalSeconds:0} s; silo output:\n{Output}");
    }

    /// <summary>SIGKILL: no shutdown hook runs, nothing is drained or committed.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
