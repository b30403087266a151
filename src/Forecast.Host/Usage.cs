namespace Forecast.Host;

/// <summary>The help text of the <c>forecast</c> executable.</summary>
internal static class Usage
{
    private const string Text = """
        forecast: time-series forecasting for sensor streams (Orleans + ONNX Runtime)

        usage:
          forecast run [--sensors N] [--interval 1s] [--duration 5m] [--model DIR]
              One silo with embedded defaults: the built-in simulator, the bundled model and the
              in-memory store. Prints progress every 5 s and a JSON summary on exit.
          forecast run --kafka BOOTSTRAP [--topic sensor-readings]
              The same silo consuming readings from Kafka instead of the simulator (see README: Kafka).
          forecast simulate --kafka BOOTSTRAP [--sensors 1000] [--rate 1000] [--duration 5m]
              Produces the simulated sensors' readings to Kafka (JSON, key = sensor id) at a steady rate.
          forecast bench inference [--Bench:Seconds 5]
              ONNX steps/s: one call per step, the batching dispatcher at 10,000 sensors, and
              recomputing a 32-step window per reading. Prints one JSON line.
          forecast bench pipeline [--sensors 10000] [--Bench:Seconds 20] [--readings-per-call 4]
              The embedded pipeline at full speed and at half that rate: readings/s, latency, memory per sensor.
          forecast models validate DIR
              Checks a model folder as the serving path does (manifest vs graph, opset, golden vectors,
              random inputs); prints each check, or why it must not be served (exit status 1).
          forecast evaluate --model DIR --data CSV --time-column C --value-column C [--horizon H | --horizons 24,96]
                  [--season N] [--score-from TIME] [--score-to TIME] [--anomalies-out CSV]
              Replays the series through the sensor logic and the model; prints MSE/MAE per horizon (normalised
              and original units), interval coverage, and repeat-last, seasonal naive and exponential smoothing
              on the same windows. --anomalies-out writes timestamp,value,anomaly_score (NAB's format).
          forecast bench placement --Orleans:Redis HOST:PORT [--sensors 2000] [--Bench:Seconds 10]
              Two silos in one process (clustered through Redis): sensors on the calling silo against
              sensors on the other one, at full speed and at one paced rate.
          forecast bench kafka [--sensors 10000] [--Bench:ReadingsPerSensor 30]
              Readings/s from Kafka (librdkafka's mock cluster) to durable predictions, and latency at half that rate.
          forecast bench influx [--InfluxDb:Url http://127.0.0.1:8086] [--Bench:Points 1000000]
              Prediction points/s through the InfluxDB sink to a real server (1.x by default), with CPU per point.

        Any configuration key works as --Section:Key value or the environment variable Section__Key,
        for example --Inference:MaxBatch 128 or Inference__ExecutionProvider=cuda.
        """;

    public static int Print(string[] verbs)
    {
        if (verbs is not (["help"] or ["--help"]))
        {
            Console.Error.WriteLine($"forecast: unknown command '{string.Join(' ', verbs)}'.");
        }

        Console.Error.WriteLine(Text);
        return verbs is ["help"] ? 0 : 2;
    }
}
