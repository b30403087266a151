using Forecast.Abstractions;

namespace Forecast.Ingestion;

/// <summary>The readings of one message, or why the message is refused.</summary>
internal readonly record struct DecodeResult(IReadOnlyList<SensorReading> Readings, string? Reason, string? Detail)
{
    public bool IsValid => Reason is null;

    public static DecodeResult Ok(IReadOnlyList<SensorReading> readings) => new(readings, null, null);

    public static DecodeResult Refuse(string reason, string detail) => new([], reason, detail);
}

/// <summary>Thrown inside decoding to refuse a message; caught by <see cref="ReadingDecoder"/>.</summary>
internal sealed class RefusedMessageException(string reason, string detail) : Exception(detail)
{
    public string Reason { get; } = reason;
}
