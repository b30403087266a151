namespace Forecast.Ingestion;

/// <summary>
/// Bounds the readings the edge holds before they are durable: a request over the bound is turned away (HTTP
/// 429, MQTT waits), so a slow sink pushes back on devices instead of filling memory.
/// </summary>
internal sealed class InFlightGate(long maxReadings)
{
    private long _inFlight;

    public long InFlight => Interlocked.Read(ref _inFlight);

    /// <summary>
    /// Takes room for <paramref name="readings"/>, or returns false when that would pass the bound. An empty
    /// gate always admits, so one request larger than the bound still goes through on its own.
    /// </summary>
    public bool TryEnter(int readings)
    {
        var after = Interlocked.Add(ref _inFlight, readings);
        if (after <= maxReadings || after == readings)
        {
            return true;
        }

        Interlocked.Add(ref _inFlight, -readings);
        return false;
    }

    public void Exit(int readings) => Interlocked.Add(ref _inFlight, -readings);
}
