using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Forecast.Abstractions;

namespace Forecast.Ingestion;

/// <summary>
/// Turns one message (a Kafka value, an HTTP body, an MQTT payload) into readings, or refuses it with a
/// reason: every way in shares this one parser. Payloads:
/// a JSON reading <c>{"sensor":"pump-7/temp","ts":"2026-11-29T10:00:00Z","value":71.3}</c> (<c>ts</c> may
/// be epoch milliseconds; <c>sensor</c> defaults to the key: the Kafka key, or the sensor an MQTT topic names), a JSON array of them, or InfluxDB
/// line protocol. A message with any bad reading is refused whole, so none of it is half applied.
/// </summary>
internal sealed class ReadingDecoder(ReadingLimits limits, TimeProvider clock)
{
    public const int MaxSensorIdLength = 256;
    public const double MaxMagnitude = 1e15;

    private static readonly JsonDocumentOptions Json = new() { MaxDepth = 2 };

    /// <summary>
    /// The readings of <paramref name="value"/>; <paramref name="messageTime"/> stands in for a missing line
    /// protocol timestamp, whose unit is <paramref name="precision"/>.
    /// </summary>
    public DecodeResult Decode(byte[]? key, byte[]? value, DateTimeOffset messageTime, TimestampPrecision precision = TimestampPrecision.Nanoseconds) =>
        DecodeFor(key is { Length: > 0 } ? Encoding.UTF8.GetString(key) : null, value, messageTime, precision);

    /// <summary>The same, with <paramref name="key"/> the sensor of readings that name none (an MQTT topic's sensor, say).</summary>
    public DecodeResult DecodeFor(string? key, byte[]? value, DateTimeOffset messageTime, TimestampPrecision precision = TimestampPrecision.Nanoseconds)
    {
        if (value is null || value.Length == 0)
        {
            return DecodeResult.Refuse(DeadLetterReason.Empty, "The message has no value.");
        }

        if (value.Length > limits.MaxMessageBytes)
        {
            return DecodeResult.Refuse(DeadLetterReason.Oversized, $"The message is {value.Length} bytes; at most {limits.MaxMessageBytes} are accepted.");
        }

        try
        {
            var start = value.AsSpan().TrimStart(" \t\r\n"u8);
            var readings = start.Length > 0 && start[0] is (byte)'{' or (byte)'['
                ? DecodeJson(value, key)
                : LineProtocol.Parse(Encoding.UTF8.GetString(value), key, messageTime, precision);
            var now = clock.GetUtcNow();
            foreach (var reading in readings)
            {
                Validate(reading, now);
            }

            return DecodeResult.Ok(readings);
        }
        catch (RefusedMessageException refused)
        {
            return DecodeResult.Refuse(refused.Reason, refused.Message);
        }
    }

    /// <summary>Whether <paramref name="id"/> is a valid sensor id (also the grain key).</summary>
    public static bool IsValidSensorId(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxSensorIdLength)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '/' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    private void Validate(SensorReading reading, DateTimeOffset now)
    {
        if (!IsValidSensorId(reading.SensorId))
        {
            throw new RefusedMessageException(DeadLetterReason.BadSensorId,
                $"Sensor id '{Shorten(reading.SensorId)}' must be 1 to {MaxSensorIdLength} characters of [A-Za-z0-9._:/-].");
        }

        if (!double.IsFinite(reading.Value))
        {
            throw new RefusedMessageException(DeadLetterReason.NonFinite, $"Sensor {reading.SensorId}: the value is {reading.Value}.");
        }

        if (Math.Abs(reading.Value) > MaxMagnitude)
        {
            throw new RefusedMessageException(DeadLetterReason.ValueOutOfRange, $"Sensor {reading.SensorId}: |{reading.Value:G}| is above {MaxMagnitude:G}.");
        }

        if (reading.Timestamp > now + limits.MaxFuture || reading.Timestamp < now - limits.MaxAge)
        {
            throw new RefusedMessageException(DeadLetterReason.TimestampOutOfRange,
                $"Sensor {reading.SensorId}: timestamp {reading.Timestamp:O} is outside [{now - limits.MaxAge:O}, {now + limits.MaxFuture:O}].");
        }
    }

    private static List<SensorReading> DecodeJson(byte[] value, string? key)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(value, Json);
        }
        catch (JsonException exception)
        {
            var deep = exception.Message.Contains("maximum configured depth", StringComparison.OrdinalIgnoreCase);
            throw new RefusedMessageException(
                deep ? DeadLetterReason.TooDeep : DeadLetterReason.InvalidJson,
                deep ? "The JSON nests deeper than an array of readings." : $"The JSON does not parse: {exception.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                return [FromJson(root, key)];
            }

            if (root.GetArrayLength() == 0)
            {
                throw new RefusedMessageException(DeadLetterReason.Empty, "The JSON array holds no readings.");
            }

            return [.. root.EnumerateArray().Select(element => FromJson(element, key))];
        }
    }

    private static SensorReading FromJson(JsonElement element, string? key)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new RefusedMessageException(DeadLetterReason.WrongType, $"Expected a reading object, found {element.ValueKind}.");
        }

        var sensor = element.TryGetProperty("sensor", out var s)
            ? s.ValueKind == JsonValueKind.String ? s.GetString()! : throw WrongType("sensor", "a string", s)
            : key ?? throw new RefusedMessageException(DeadLetterReason.MissingField, "No 'sensor' field and no message key.");
        if (!element.TryGetProperty("ts", out var ts))
        {
            throw new RefusedMessageException(DeadLetterReason.MissingField, $"Sensor {Shorten(sensor)}: no 'ts' field.");
        }

        if (!element.TryGetProperty("value", out var v))
        {
            throw new RefusedMessageException(DeadLetterReason.MissingField, $"Sensor {Shorten(sensor)}: no 'value' field.");
        }

        if (v.ValueKind != JsonValueKind.Number)
        {
            throw WrongType("value", "a number", v);
        }

        // A literal like 1e999 parses to infinity, or fails to parse, depending on the runtime: both are non-finite.
        var value = v.TryGetDouble(out var number) ? number : double.PositiveInfinity;
        return new SensorReading(sensor, ParseTimestamp(ts), value);
    }

    private static DateTimeOffset ParseTimestamp(JsonElement ts)
    {
        switch (ts.ValueKind)
        {
            case JsonValueKind.String when DateTimeOffset.TryParse(ts.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed):
                return parsed.ToUniversalTime();
            case JsonValueKind.Number when ts.TryGetInt64(out var millis) && millis is >= -62_135_596_800_000 and <= 253_402_300_799_999:
                return DateTimeOffset.FromUnixTimeMilliseconds(millis);
            case JsonValueKind.Number:
                throw new RefusedMessageException(DeadLetterReason.TimestampOutOfRange, $"'ts' {ts.GetRawText()} is not epoch milliseconds within years 1-9999.");
            default:
                throw WrongType("ts", "an ISO 8601 string or epoch milliseconds", ts);
        }
    }

    private static RefusedMessageException WrongType(string field, string expected, JsonElement found) =>
        new(DeadLetterReason.WrongType, $"'{field}' must be {expected}; found {found.ValueKind}.");

    internal static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "...";

    /// <summary>
    /// InfluxDB line protocol, as Telegraf writes it: <c>measurement[,tag=v...] field=v[,field=v...] [timestamp-ns]</c>.
    /// The sensor id is the <c>sensor</c> tag (else the message key, else the measurement); each numeric
    /// field is one reading, and fields other than <c>value</c> get <c>/field</c> appended to the id.
    /// Without a timestamp the message's own timestamp is used. A refusal names the line by its number.
    /// </summary>
    internal static class LineProtocol
    {
        public static List<SensorReading> Parse(string text, string? key, DateTimeOffset messageTime, TimestampPrecision precision)
        {
            var readings = new List<SensorReading>();
            var number = 0;
            foreach (var raw in text.Split('\n'))
            {
                number++;
                var line = raw.TrimEnd('\r').Trim();
                if (line.Length == 0 || line[0] == '#')
                {
                    continue;
                }

                try
                {
                    ParseLine(line, key, messageTime, precision, readings);
                }
                catch (RefusedMessageException refused) when (number > 1 || text.Contains('\n'))
                {
                    // "Line 'text': problem" becomes "Line 3 'text': problem": a body of many lines names the bad one.
                    var detail = refused.Message.StartsWith("Line '", StringComparison.Ordinal) ? $"Line {number} {refused.Message[5..]}" : $"Line {number}: {refused.Message}";
                    throw new RefusedMessageException(refused.Reason, detail);
                }
            }

            return readings.Count > 0
                ? readings
                : throw new RefusedMessageException(DeadLetterReason.Empty, "The line protocol holds no lines.");
        }

        private static void ParseLine(string line, string? key, DateTimeOffset messageTime, TimestampPrecision precision, List<SensorReading> readings)
        {
            var sections = SplitUnescaped(line, ' ');
            if (sections.Count is < 2 or > 3)
            {
                throw Invalid(line, "expected 'measurement[,tags] fields [timestamp]'");
            }

            var series = SplitUnescaped(sections[0], ',');
            var measurement = Unescape(series[0]);
            string? sensor = null;
            foreach (var tag in series.Skip(1))
            {
                var pair = SplitUnescaped(tag, '=');
                if (pair.Count != 2)
                {
                    throw Invalid(line, $"tag '{tag}' is not key=value");
                }

                if (Unescape(pair[0]) == "sensor")
                {
                    sensor = Unescape(pair[1]);
                }
            }

            sensor ??= key ?? measurement;
            var timestamp = sections.Count == 3 ? ParseTimestamp(sections[2], line, precision) : messageTime;
            var before = readings.Count;
            foreach (var field in SplitUnescaped(sections[1], ','))
            {
                var pair = SplitUnescaped(field, '=');
                if (pair.Count != 2)
                {
                    throw Invalid(line, $"field '{field}' is not key=value");
                }

                var name = Unescape(pair[0]);
                if (ParseNumber(pair[1]) is { } number)
                {
                    readings.Add(new SensorReading(name == "value" ? sensor : $"{sensor}/{name}", timestamp, number));
                }
            }

            if (readings.Count == before)
            {
                throw new RefusedMessageException(DeadLetterReason.WrongType, $"Line '{Shorten(line)}' has no numeric field.");
            }
        }

        /// <summary>A float, or an integer with an <c>i</c> or <c>u</c> suffix; null for strings and booleans.</summary>
        private static double? ParseNumber(string text)
        {
            if (text.Length == 0 || text[0] == '"' || text is "t" or "T" or "true" or "True" or "TRUE" or "f" or "F" or "false" or "False" or "FALSE")
            {
                return null;
            }

            var digits = text[^1] is 'i' or 'u' ? text[..^1] : text;
            return double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw new RefusedMessageException(DeadLetterReason.InvalidLineProtocol, $"'{Shorten(text)}' is not a number.");
        }

        private static DateTimeOffset ParseTimestamp(string text, string line, TimestampPrecision precision)
        {
            if (!Utf8Parser.TryParse(Encoding.ASCII.GetBytes(text), out long value, out var consumed) || consumed != text.Length)
            {
                throw Invalid(line, $"timestamp '{Shorten(text)}' is not an integer ({precision.ToString().ToLowerInvariant()})");
            }

            try
            {
                return TimestampPrecisions.FromUnix(value, precision);
            }
            catch (Exception e) when (e is ArgumentOutOfRangeException or OverflowException)
            {
                throw new RefusedMessageException(DeadLetterReason.TimestampOutOfRange, $"Line '{Shorten(line)}': timestamp {text} ({precision.ToString().ToLowerInvariant()}) is outside years 1-9999.");
            }
        }

        private static List<string> SplitUnescaped(string text, char separator)
        {
            var parts = new List<string>();
            var start = 0;
            var quoted = false;
            for (var i = 0; i < text.Length; i++)
            {
                if (text[i] == '\\')
                {
                    i++;
                }
                else if (text[i] == '"')
                {
                    quoted = !quoted;
                }
                else if (text[i] == separator && !quoted)
                {
                    parts.Add(text[start..i]);
                    start = i + 1;
                }
            }

            parts.Add(text[start..]);
            return parts;
        }

        private static string Unescape(string text) => text.Contains('\\') ? text.Replace("\\,", ",").Replace("\\ ", " ").Replace("\\=", "=") : text;

        private static RefusedMessageException Invalid(string line, string problem) =>
            new(DeadLetterReason.InvalidLineProtocol, $"Line '{Shorten(line)}': {problem}.");
    }
}
