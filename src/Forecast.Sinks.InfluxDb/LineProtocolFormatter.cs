using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Forecast.Abstractions;

namespace Forecast.Sinks.InfluxDb;

/// <summary>
/// Turns a <see cref="SinkBatch"/> into InfluxDB line protocol with nanosecond timestamps, in the schema
/// of DESIGN.md: <c>prediction</c>, <c>anomaly</c> and the optional <c>reading</c> mirror. Tags are
/// written sorted by key, as InfluxDB prefers. Every value is checked before any byte is written, so a
/// batch is either formatted whole or refused whole.
/// </summary>
internal sealed class LineProtocolFormatter
{
    private const long UnixEpochTicks = 621_355_968_000_000_000;
    private const int MaxExamples = 5;

    // Bytes that end a tag value, key or measurement in line protocol and so are escaped with '\'.
    private static readonly SearchValues<byte> TagSpecials = SearchValues.Create(" ,="u8);

    private readonly StepSelection _steps;
    private readonly bool _writeReadings;

    public LineProtocolFormatter(StepSelection steps, bool writeReadings)
    {
        _steps = steps;
        _writeReadings = writeReadings;
    }

    public static LineProtocolFormatter From(InfluxDbSinkOptions options)
    {
        if (!StepSelection.TryParse(options.StepsToWrite, out var steps, out var error))
        {
            throw new ArgumentException($"{InfluxDbSinkOptions.SectionName}:StepsToWrite {error}.", nameof(options));
        }

        return new LineProtocolFormatter(steps, options.WriteReadings);
    }

    /// <summary>How many lines <see cref="Format"/> writes for <paramref name="batch"/>.</summary>
    public int CountLines(SinkBatch batch)
    {
        var lines = batch.Anomalies.Count + (_writeReadings ? batch.Readings.Count : 0);
        foreach (var prediction in batch.Predictions)
        {
            var steps = prediction.Steps;
            for (var i = 0; i < steps.Count; i++)
            {
                if (_steps.Includes(steps[i].Step, i, steps.Count))
                {
                    lines++;
                }
            }
        }

        return lines;
    }

    /// <summary>
    /// Appends the lines of <paramref name="batch"/> to <paramref name="buffer"/>, each ended by a newline,
    /// and returns how many were written. Throws <see cref="InfluxDbInvalidPointException"/>, writing
    /// nothing, when a value that would be written is not finite or a tag cannot be carried.
    /// </summary>
    public int Format(SinkBatch batch, LineBuffer buffer)
    {
        Validate(batch);
        var lines = 0;

        foreach (var prediction in batch.Predictions)
        {
            var steps = prediction.Steps;
            for (var i = 0; i < steps.Count; i++)
            {
                var step = steps[i];
                if (!_steps.Includes(step.Step, i, steps.Count))
                {
                    continue;
                }

                buffer.Write("prediction,model="u8);
                WriteTag(buffer, prediction.Model);
                buffer.Write(",sensor="u8);
                WriteTag(buffer, prediction.SensorId);
                buffer.Write(",step="u8);
                WriteInteger(buffer, step.Step);
                buffer.Write(" yhat="u8);
                WriteDouble(buffer, step.Mean);
                buffer.Write(",lower="u8);
                WriteDouble(buffer, step.Lower);
                buffer.Write(",upper="u8);
                WriteDouble(buffer, step.Upper);
                WriteTimestamp(buffer, step.TargetTime);
                lines++;
            }
        }

        foreach (var anomaly in batch.Anomalies)
        {
            buffer.Write("anomaly,model="u8);
            WriteTag(buffer, anomaly.Model);
            buffer.Write(",sensor="u8);
            WriteTag(buffer, anomaly.SensorId);
            buffer.Write(anomaly.Severity == AnomalySeverity.Critical ? ",severity=critical value="u8 : ",severity=warning value="u8);
            WriteDouble(buffer, anomaly.Value);
            buffer.Write(",expected="u8);
            WriteDouble(buffer, anomaly.Expected);
            buffer.Write(",score="u8);
            WriteDouble(buffer, anomaly.Score);
            buffer.Write(",lower="u8);
            WriteDouble(buffer, anomaly.Lower);
            buffer.Write(",upper="u8);
            WriteDouble(buffer, anomaly.Upper);
            WriteTimestamp(buffer, anomaly.Timestamp);
            lines++;
        }

        if (_writeReadings)
        {
            foreach (var reading in batch.Readings)
            {
                buffer.Write("reading,sensor="u8);
                WriteTag(buffer, reading.SensorId);
                buffer.Write(" value="u8);
                WriteDouble(buffer, reading.Value);
                WriteTimestamp(buffer, reading.Timestamp);
                lines++;
            }
        }

        return lines;
    }

    private void Validate(SinkBatch batch)
    {
        // Cheap pass first; the descriptive pass below only runs for a batch that is refused.
        if (IsValid(batch))
        {
            return;
        }

        var nonFinite = 0;
        var problems = new List<string>();

        void Problem(string text)
        {
            if (problems.Count < MaxExamples)
            {
                problems.Add(text);
            }
        }

        void Check(double value, string measurement, string sensor, string field, DateTimeOffset time)
        {
            if (!double.IsFinite(value))
            {
                nonFinite++;
                Problem($"{measurement} sensor={sensor} at {time:O}: {field}={value.ToString(CultureInfo.InvariantCulture)}");
            }
        }

        void CheckTag(string? value, string measurement, string tag)
        {
            if (TagProblem(value) is { } reason)
            {
                Problem($"{measurement} tag {tag}={Describe(value)}: {reason}");
            }
        }

        void CheckTime(DateTimeOffset time, string measurement, string sensor)
        {
            if (!InNanosecondRange(time))
            {
                Problem($"{measurement} sensor={sensor} at {time:O}: time outside 1677-09-21..2262-04-11, which nanosecond timestamps cannot carry");
            }
        }

        foreach (var prediction in batch.Predictions)
        {
            var steps = prediction.Steps;
            var anyStep = false;
            for (var i = 0; i < steps.Count; i++)
            {
                var step = steps[i];
                if (!_steps.Includes(step.Step, i, steps.Count))
                {
                    continue;
                }

                anyStep = true;
                Check(step.Mean, "prediction", prediction.SensorId, $"step {step.Step} yhat", step.TargetTime);
                Check(step.Lower, "prediction", prediction.SensorId, $"step {step.Step} lower", step.TargetTime);
                Check(step.Upper, "prediction", prediction.SensorId, $"step {step.Step} upper", step.TargetTime);
                CheckTime(step.TargetTime, "prediction", prediction.SensorId);
            }

            if (anyStep)
            {
                CheckTag(prediction.SensorId, "prediction", "sensor");
                CheckTag(prediction.Model, "prediction", "model");
            }
        }

        foreach (var anomaly in batch.Anomalies)
        {
            Check(anomaly.Value, "anomaly", anomaly.SensorId, "value", anomaly.Timestamp);
            Check(anomaly.Expected, "anomaly", anomaly.SensorId, "expected", anomaly.Timestamp);
            Check(anomaly.Score, "anomaly", anomaly.SensorId, "score", anomaly.Timestamp);
            Check(anomaly.Lower, "anomaly", anomaly.SensorId, "lower", anomaly.Timestamp);
            Check(anomaly.Upper, "anomaly", anomaly.SensorId, "upper", anomaly.Timestamp);
            CheckTime(anomaly.Timestamp, "anomaly", anomaly.SensorId);
            CheckTag(anomaly.SensorId, "anomaly", "sensor");
            CheckTag(anomaly.Model, "anomaly", "model");
        }

        if (_writeReadings)
        {
            foreach (var reading in batch.Readings)
            {
                Check(reading.Value, "reading", reading.SensorId, "value", reading.Timestamp);
                CheckTime(reading.Timestamp, "reading", reading.SensorId);
                CheckTag(reading.SensorId, "reading", "sensor");
            }
        }

        var text = new StringBuilder();
        text.Append(nonFinite > 0
            ? $"Refused a batch with {nonFinite} non-finite value(s); nothing of it was written. "
            : "Refused a batch with values line protocol cannot carry; nothing of it was written. ");
        text.AppendJoin("; ", problems);
        throw new InfluxDbInvalidPointException(text.ToString(), nonFinite);
    }

    private bool IsValid(SinkBatch batch)
    {
        foreach (var prediction in batch.Predictions)
        {
            var steps = prediction.Steps;
            var anyStep = false;
            for (var i = 0; i < steps.Count; i++)
            {
                var step = steps[i];
                if (!_steps.Includes(step.Step, i, steps.Count))
                {
                    continue;
                }

                anyStep = true;
                if (!double.IsFinite(step.Mean) || !double.IsFinite(step.Lower) || !double.IsFinite(step.Upper) || !InNanosecondRange(step.TargetTime))
                {
                    return false;
                }
            }

            if (anyStep && (TagProblem(prediction.SensorId) is not null || TagProblem(prediction.Model) is not null))
            {
                return false;
            }
        }

        foreach (var anomaly in batch.Anomalies)
        {
            if (!double.IsFinite(anomaly.Value) || !double.IsFinite(anomaly.Expected) || !double.IsFinite(anomaly.Score)
                || !double.IsFinite(anomaly.Lower) || !double.IsFinite(anomaly.Upper) || !InNanosecondRange(anomaly.Timestamp)
                || TagProblem(anomaly.SensorId) is not null || TagProblem(anomaly.Model) is not null)
            {
                return false;
            }
        }

        if (_writeReadings)
        {
            foreach (var reading in batch.Readings)
            {
                if (!double.IsFinite(reading.Value) || !InNanosecondRange(reading.Timestamp) || TagProblem(reading.SensorId) is not null)
                {
                    return false;
                }
            }
        }

        return true;
    }

    internal static string? TagProblem(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "tag values must not be empty";
        }

        if (value.AsSpan().IndexOfAny('\n', '\r') >= 0)
        {
            return "line protocol cannot carry a line break";
        }

        // A trailing backslash would escape the delimiter that follows it.
        return value[^1] == '\\' ? "a tag value must not end with a backslash" : null;
    }

    private static string Describe(string? value) => value is null ? "(null)" : $"'{value.ReplaceLineEndings("\\n")}'";

    internal static bool InNanosecondRange(DateTimeOffset time)
    {
        var ticks = time.UtcTicks - UnixEpochTicks;
        return ticks is >= long.MinValue / 100 and <= long.MaxValue / 100;
    }

    private static void WriteTag(LineBuffer buffer, string value)
    {
        var maxBytes = Encoding.UTF8.GetMaxByteCount(value.Length);
        var span = buffer.GetSpan(maxBytes * 2);
        var written = Encoding.UTF8.GetBytes(value, span);
        var encoded = span[..written];
        var special = encoded.IndexOfAny(TagSpecials);
        if (special < 0)
        {
            buffer.Advance(written);
            return;
        }

        // Escape in place from the back; the span has room for every byte doubled.
        var escapes = 0;
        for (var i = special; i < written; i++)
        {
            if (TagSpecials.Contains(encoded[i]))
            {
                escapes++;
            }
        }

        var target = written + escapes;
        for (int from = written - 1, to = target - 1; from >= special; from--)
        {
            var b = span[from];
            span[to--] = b;
            if (TagSpecials.Contains(b))
            {
                span[to--] = (byte)'\\';
            }
        }

        buffer.Advance(target);
    }

    private static void WriteInteger(LineBuffer buffer, long value)
    {
        var span = buffer.GetSpan(20);
        Utf8Formatter.TryFormat(value, span, out var written);
        buffer.Advance(written);
    }

    private static void WriteDouble(LineBuffer buffer, double value)
    {
        // Shortest text that round-trips, so a replay sends the very same value; exponents ("1E+20")
        // are valid line protocol floats.
        var span = buffer.GetSpan(32);
        value.TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
        buffer.Advance(written);
    }

    private static void WriteTimestamp(LineBuffer buffer, DateTimeOffset time)
    {
        buffer.Write((byte)' ');
        WriteInteger(buffer, (time.UtcTicks - UnixEpochTicks) * 100);
        buffer.Write((byte)'\n');
    }
}
