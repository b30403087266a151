namespace Forecast.Grains.Tests;

/// <summary>The sensor and start time the stream tests share (<c>using static</c>).</summary>
internal static class SensorTestData
{
    public const string Sensor = "plant-1/pump-7:temp";

    public static readonly DateTimeOffset T0 = new(2026, 11, 29, 10, 0, 0, TimeSpan.Zero);
}
