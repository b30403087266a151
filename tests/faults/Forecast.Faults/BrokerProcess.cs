using System.Diagnostics;

namespace Forecast.Faults;

/// <summary>
/// librdkafka's mock cluster in a process of its own (<c>forecast-faults --mock-broker</c>), so the broker's work
/// is not charged to the suite's process, where the producer and the timeline run. It lives until disposed.
/// </summary>
internal sealed class BrokerProcess : IDisposable
{
    private readonly Process _process;

    private BrokerProcess(Process process, string bootstrapServers)
    {
        _process = process;
        BootstrapServers = bootstrapServers;
    }

    public string BootstrapServers { get; }

    public static async Task<BrokerProcess> StartAsync()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "forecast-faults.dll"));
        start.ArgumentList.Add("--mock-broker");
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the mock broker");
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        if (string.IsNullOrWhiteSpace(line))
        {
            var error = await process.StandardError.ReadToEndAsync();
            process.Kill();
            process.Dispose();
            throw new InvalidOperationException($"the mock broker did not start: {error}");
        }

        return new BrokerProcess(process, line.Trim());
    }

    /// <summary>Runs the broker in this process until standard input closes (the suite ended or died).</summary>
    public static int Serve()
    {
        using var cluster = KafkaMockCluster.Start();
        Console.WriteLine(cluster.BootstrapServers);
        Console.Out.Flush();
        Console.In.ReadToEnd();
        return 0;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(5_000);
        }

        _process.Dispose();
    }
}
