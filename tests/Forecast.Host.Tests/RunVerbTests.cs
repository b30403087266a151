using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Forecast.Host.Tests;

/// <summary>The README's main command, run as the real executable.</summary>
public sealed class RunVerbTests
{
    [Fact]
    public async Task Run_ProcessesSimulatedSensors_AndPrintsASummary()
    {
        var web = FreePort.Next();
        var running = ForecastAsync(
            "run", "--duration", "12s", "--sensors", "300", "--interval", "100ms", "--urls", $"http://127.0.0.1:{web}",
            "--Orleans:SiloPort", FreePort.NextText(), "--Orleans:GatewayPort", FreePort.NextText());
        var health = await GetHealthAsync(web);
        var (sensorCode, sensor) = await GetAsync(web, "/sensors/sim/sensor-00007");
        var (unknownCode, unknown) = await GetAsync(web, "/sensors/no/such/sensor");
        var (emptyCode, empty) = await GetAsync(web, "/sensors/");
        var (exitCode, stdout, stderr) = await running;

        Assert.True(exitCode == 0, $"exit {exitCode}\n{stdout}\n{stderr}");
        Assert.Contains("readings/s", stdout);
        var summary = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]).RootElement;
        var readings = summary.GetProperty("readings").GetInt64();
        Assert.True(readings > 3_000, $"only {readings} readings in 12 s");
        Assert.Equal(readings, summary.GetProperty("predictions").GetInt64());
        Assert.Equal(300, summary.GetProperty("sensors").GetInt32());
        Assert.Equal(0, summary.GetProperty("failedCalls").GetInt64());
        Assert.InRange(summary.GetProperty("p99LatencyMs").GetDouble(), 0.001, 5_000);
        Assert.Equal("lstm-default@2", health.GetProperty("model").GetString());
        Assert.Equal("embedded", health.GetProperty("sink").GetProperty("kind").GetString());

        // One sensor as an operator sees it: where it lives and what it has done.
        Assert.True(sensorCode == HttpStatusCode.OK, sensor);
        var status = JsonDocument.Parse(sensor).RootElement;
        Assert.Equal("sim/sensor-00007", status.GetProperty("sensor").GetString());
        Assert.StartsWith("S127.0.0.1:", status.GetProperty("silo").GetString());
        Assert.True(status.GetProperty("applied").GetInt64() > 0, sensor);
        Assert.Equal(HttpStatusCode.NotFound, unknownCode);
        Assert.Contains("'no/such/sensor' has sent no readings", unknown);
        Assert.Equal(HttpStatusCode.BadRequest, emptyCode);
        Assert.Contains("Name a sensor", empty);
    }

    [Fact]
    public async Task Run_JudgesTheDetector_AgainstTheSimulatorsInjections()
    {
        // 5 ms readings, so each sensor is past its warm-up and learning period (48 + 256 readings) within seconds.
        var (exitCode, stdout, stderr) = await ForecastAsync(
            "run", "--duration", "15s", "--sensors", "50", "--interval", "5ms", "--Simulator:AnomalyRate", "0.002", "--urls", "http://127.0.0.1:0",
            "--Orleans:SiloPort", FreePort.NextText(), "--Orleans:GatewayPort", FreePort.NextText());

        Assert.True(exitCode == 0, $"exit {exitCode}\n{stdout}\n{stderr}");
        var detector = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]).RootElement.GetProperty("detector");
        var judged = detector.GetProperty("judgedInjections").GetInt32();
        Assert.True(judged >= 10, detector.ToString());
        Assert.InRange(detector.GetProperty("detectedInjections").GetInt32(), 1, judged);
        Assert.InRange(detector.GetProperty("recall").GetDouble(), 0.2, 1);
        Assert.InRange(detector.GetProperty("precision").GetDouble(), 0.2, 1);
        Assert.True(detector.GetProperty("trueDetections").GetInt32() <= detector.GetProperty("detections").GetInt32(), detector.ToString());
    }

    [Theory]
    [InlineData("--sensors -1", "Simulator:Sensors")]
    [InlineData("--Simulator:HistoryReadings -5", "Simulator:HistoryReadings must be from 0 to 10,000")]
    [InlineData("--mqtt localhost:99999", "Mqtt:Server 'localhost:99999' is not host:port")]
    [InlineData("--mqtt 127.0.0.1:1883 --Mqtt:SensorId plant-a", "Mqtt:SensorId 'plant-a': it names no topic level")]
    [InlineData("--Edge:ApiKeyFile /no/such/keys", "Edge:ApiKeyFile '/no/such/keys' does not exist")]
    [InlineData("--Api:KeyFile /no/such/keys", "Api:KeyFile '/no/such/keys' cannot be read")]
    [InlineData("--Models:RollbackMargin -1", "Models:RollbackMargin must be from 0")]
    [InlineData("--Edge:MaxBodyBytes 10", "Edge:MaxBodyBytes must be at least 64")]
    [InlineData("--duration soon", "is not a duration")]
    [InlineData("--Orleans:Membership:ProbeTimeout soon", "Failed to convert configuration value 'soon' at 'Orleans:Membership:ProbeTimeout'")]
    [InlineData("--Orleans:GrainDirectory dht", "Orleans:GrainDirectory 'dht' is neither 'distributed'")]
    [InlineData("--Orleans:GrainDirectory redis", "Orleans:GrainDirectory 'redis' needs Orleans:Redis")]
    [InlineData("--model /nonexistent/model", "does not exist")]
    [InlineData("--Inference:MaxBatch 0", "Inference:MaxBatch")]
    [InlineData("--Anomaly:ClampScore 2", "0 < CloseScore < ClampScore and CloseScore < CriticalScore")]
    [InlineData("--Anomaly:Threshold 1.5", "Anomaly:Threshold must be in (0, 1]")]
    [InlineData("--Anomaly:RearmScore 0.9", "Anomaly:RearmScore must be above 0 and at most Anomaly:Threshold")]
    [InlineData("--Anomaly:SurpriseFloor -1", "Anomaly:SurpriseFloor must be from 0 to 10")]
    [InlineData("--Anomaly:SeasonBins 0", "Anomaly:SeasonBins from 1 to 10000")]
    [InlineData("--Anomaly:SeasonWeight 2", "Anomaly:SeasonWeight in (0, 1]")]
    [InlineData("--Anomaly:EstimationBlocks 0", "Anomaly:EstimationBlocks must be from 1 to 1000")]
    [InlineData("--Sensors:CheckpointReadings 0", "Sensors:CheckpointReadings")]
    [InlineData("--Orleans:Redis 127.0.0.1:1 --Orleans:AdvertisedIP nowhere", "Orleans:AdvertisedIP 'nowhere' is not an IP address")]
    [InlineData("--Anomaly:DriftScore 0", "Anomaly:DriftScore at least 1")]
    [InlineData("--Alerts:Webhook:Url http://127.0.0.1:1/hook --Alerts:Webhook:Secret whsec_nope", "Alerts:Webhook:Secret is not a Standard Webhooks secret")]
    [InlineData("--Alerts:Alertmanager:Url alertmanager:9093", "Alerts:Alertmanager:Url 'alertmanager:9093' must be an absolute http or https URL")]
    [InlineData("--Alerts:Webhook:Url http://127.0.0.1:1/hook", "Alerts:Webhook:Url needs a signing secret")]
    [InlineData("--Alerts:Slack:Url http://127.0.0.1:1/hook --Alerts:KeepFiringFor -00:01:00", "Alerts:KeepFiringFor must be from")]
    [InlineData("--Alerts:Outbox:Store Filez", "Failed to convert configuration value 'Filez' at 'Alerts:Outbox:Store'")]
    [InlineData("--Anomaly:DriftReadings -1", "Anomaly:DriftReadings must be at least 0")]
    [InlineData("--Sensors:CheckpointReadings abc", "Failed to convert configuration value 'abc' at 'Sensors:CheckpointReadings'")]
    [InlineData("--kafka 127.0.0.1:1 --Kafka:ColocateSensors maybe", "Failed to convert configuration value 'maybe' at 'Kafka:ColocateSensors'")]
    [InlineData("--Orleans:SiloPort 0", "Orleans:SiloPort must be a TCP port")]
    [InlineData("--Orleans:GatewayPort 70000", "Orleans:GatewayPort must be a TCP port")]
    [InlineData("--Orleans:Kubernetes true", "Orleans:Kubernetes needs a clustering provider")]
    [InlineData("--Orleans:Redis 127.0.0.1:1 --Orleans:Kubernetes yes", "Orleans:Kubernetes 'yes' is not true or false")]
    [InlineData("--Orleans:Redis 127.0.0.1:1 --Orleans:Kubernetes true", "POD_NAME, POD_NAMESPACE, POD_IP, ORLEANS_SERVICE_ID, ORLEANS_CLUSTER_ID are not set")]
    [InlineData("--kafka 127.0.0.1:1 --Kafka:MaxPollMessages 0", "Kafka:MaxPollMessages")]
    [InlineData("--kafka 127.0.0.1:1 --Kafka:DeadLetterTopic sensor-readings", "Kafka:Topic and Kafka:DeadLetterTopic")]
    public async Task Run_RefusesBadConfiguration_WithAClearMessage(string options, string message)
    {
        // An option given twice is refused by the parser itself, so the case for --duration replaces the default one.
        string[] duration = options.StartsWith("--duration", StringComparison.Ordinal) ? [] : ["--duration", "5s"];
        var (exitCode, _, stderr) = await ForecastAsync(
            ["run", .. duration, "--urls", "http://127.0.0.1:0",
            "--Orleans:SiloPort", FreePort.NextText(), "--Orleans:GatewayPort", FreePort.NextText(), .. options.Split(' ')]);

        Assert.Equal(2, exitCode);
        Assert.Contains(message, stderr);
    }

    [Fact]
    public async Task Run_RefusesASiloPortInUse_WithAClearMessage()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;

        var (exitCode, _, stderr) = await ForecastAsync(
            ["run", "--duration", "5s", "--urls", "http://127.0.0.1:0", "--Orleans:SiloPort", port.ToString(), "--Orleans:GatewayPort", FreePort.NextText()]);

        Assert.Equal(2, exitCode);
        Assert.Contains("a port is already in use", stderr);
    }

    [Theory]
    [InlineData("simulate --sensors 10", "simulate needs --kafka")]
    [InlineData("simulate --kafka 127.0.0.1:1 --rate 0", "--sensors and --rate must be positive")]
    [InlineData("simulate --kafka 127.0.0.1:1 --duration later", "is not a duration")]
    public async Task Simulate_RefusesBadOptions_WithAClearMessage(string command, string message)
    {
        var (exitCode, _, stderr) = await ForecastAsync(command.Split(' '));

        Assert.Equal(2, exitCode);
        Assert.Contains(message, stderr);
    }

    [Fact]
    public async Task UnknownVerb_PrintsUsage()
    {
        var (exitCode, _, stderr) = await ForecastAsync("fly");

        Assert.Equal(2, exitCode);
        Assert.Contains("unknown command 'fly'", stderr);
        Assert.Contains("forecast run", stderr);
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> ForecastAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "forecast.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start forecast");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"forecast {string.Join(' ', args)} did not exit within 2 minutes:\n{await stdout}\n{await stderr}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Polls the running silo's <c>/health</c> until it answers (it starts within seconds).</summary>
    private static async Task<JsonElement> GetHealthAsync(int port)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                Assert.Equal("live", await http.GetStringAsync($"http://127.0.0.1:{port}/health/live"));
                Assert.Equal("ready", await http.GetStringAsync($"http://127.0.0.1:{port}/health/ready"));
                return JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/health")).RootElement;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    private static async Task<(HttpStatusCode Code, string Body)> GetAsync(int port, string path)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync($"http://127.0.0.1:{port}{path}");
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
