namespace Forecast.Ingestion;

/// <summary>Why a message was dead-lettered; the value of the <c>forecast.reason</c> header.</summary>
public static class DeadLetterReason
{
    /// <summary>The message has no value.</summary>
    public const string Empty = "empty";

    /// <summary>The message is larger than <see cref="ReadingLimits.MaxMessageBytes"/>.</summary>
    public const string Oversized = "oversized";

    /// <summary>The value starts like JSON but does not parse.</summary>
    public const string InvalidJson = "invalid-json";

    /// <summary>The JSON nests deeper than a reading or an array of readings.</summary>
    public const string TooDeep = "too-deep";

    /// <summary>The value is neither JSON nor InfluxDB line protocol that parses.</summary>
    public const string InvalidLineProtocol = "invalid-line-protocol";

    /// <summary>A field has the wrong type (a string value, an object where a reading was expected, ...).</summary>
    public const string WrongType = "wrong-type";

    /// <summary>A required field (<c>ts</c>, <c>value</c>, or <c>sensor</c> without a message key) is missing.</summary>
    public const string MissingField = "missing-field";

    /// <summary>The sensor id is empty, longer than 256 characters, or has characters outside <c>[A-Za-z0-9._:/-]</c>.</summary>
    public const string BadSensorId = "bad-sensor-id";

    /// <summary>The value is NaN or infinite (or overflows a double).</summary>
    public const string NonFinite = "non-finite";

    /// <summary>The value's magnitude is above 1e15.</summary>
    public const string ValueOutOfRange = "value-out-of-range";

    /// <summary>The timestamp is too far in the past or the future.</summary>
    public const string TimestampOutOfRange = "timestamp-out-of-range";
}
