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

    /// <summary>The served predictions, then a shadow version's: both are written, the shadow's tagged with their stage.</summary>
    private static Items<Prediction> Predictions(SinkBatch batch) => new(batch.Predictions, batch.Shadow);

    /// <summary>How many lines <see cref="Format"/> writes for <paramref name="batch"/>.</summary>
    public int CountLines(SinkBatch batch)
    {
        var lines = batch.Anomalies.Count + (_writeReadings ? batch.Readings.Count : 0) + (batch.Metrics?.Count ?? 0);
        foreach (var prediction in Predictions(batch))
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

        foreach (var prediction in Predictions(batch))
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
                if (prediction.Stage is { } stage)
                {
                    // A shadow version's forecast: its own series, so dashboards compare it and nothing alerts on it.
                    buffer.Write(",stage="u8);
                    WriteTag(buffer, stage);
                }

                buffer.Write(",step="u8);
                WriteInteger(buffer, step.Step);
                WriteField(buffer, " yhat="u8, step.Mean);
                WriteField(buffer, ",lower="u8, step.Lower);
                WriteField(buffer, ",upper="u8, step.Upper);
                WriteTimestamp(buffer, step.TargetTime);
                lines++;
            }
        }

        foreach (var anomaly in new Items<Anomaly>(batch.Anomalies))
        {
            buffer.Write("anomaly,model="u8);
            WriteTag(buffer, anomaly.Model);
            buffer.Write(",sensor="u8);
            WriteTag(buffer, anomaly.SensorId);
            buffer.Write(anomaly.Severity == AnomalySeverity.Critical ? ",severity=critical"u8 : ",severity=warning"u8);
            WriteField(buffer, " value="u8, anomaly.Value);
            WriteField(buffer, ",expected="u8, anomaly.Expected);
            WriteField(buffer, ",score="u8, anomaly.Score);
            WriteField(buffer, ",lower="u8, anomaly.Lower);
            WriteField(buffer, ",upper="u8, anomaly.Upper);
            WriteTimestamp(buffer, anomaly.Timestamp);
            lines++;
        }

        foreach (var metrics in new Items<ModelMetrics>(batch.Metrics ?? []))
        {
            buffer.Write("model_metrics,model="u8);
            WriteTag(buffer, metrics.Model);
            buffer.Write(",stage="u8);
            WriteTag(buffer, metrics.Stage);
            WriteField(buffer, " mae="u8, metrics.Mae);
            WriteField(buffer, ",coverage="u8, metrics.Coverage);
            buffer.Write(",readings="u8);
            WriteInteger(buffer, metrics.Readings);
            buffer.Write("i"u8);
            WriteTimestamp(buffer, metrics.At);
            lines++;
        }

        if (_writeReadings)
        {
            foreach (var reading in new Items<SensorReading>(batch.Readings))
            {
                buffer.Write("reading,sensor="u8);
                WriteTag(buffer, reading.SensorId);
                WriteField(buffer, " value="u8, reading.Value);
                WriteTimestamp(buffer, reading.Timestamp);
                lines++;
            }
        }

        return lines;
    }

    private void Validate(SinkBatch batch)
    {
        // Allocates only once something is wrong: the report is created by the first problem.
        Problems? problems = null;
        foreach (var prediction in Predictions(batch))
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
                CheckValue(ref problems, "prediction", prediction.SensorId, step.Step, "yhat", step.Mean, step.TargetTime);
                CheckValue(ref problems, "prediction", prediction.SensorId, step.Step, "lower", step.Lower, step.TargetTime);
                CheckValue(ref problems, "prediction", prediction.SensorId, step.Step, "upper", step.Upper, step.TargetTime);
                CheckTime(ref problems, "prediction", prediction.SensorId, step.TargetTime);
            }

            if (anyStep)
            {
                CheckTag(ref problems, "prediction", "sensor", prediction.SensorId);
                CheckTag(ref problems, "prediction", "model", prediction.Model);
                if (prediction.Stage is { } stage)
                {
                    CheckTag(ref problems, "prediction", "stage", stage);
                }
            }
        }

        foreach (var anomaly in new Items<Anomaly>(batch.Anomalies))
        {
            CheckValue(ref problems, "anomaly", anomaly.SensorId, 0, "value", anomaly.Value, anomaly.Timestamp);
            CheckValue(ref problems, "anomaly", anomaly.SensorId, 0, "expected", anomaly.Expected, anomaly.Timestamp);
            CheckValue(ref problems, "anomaly", anomaly.SensorId, 0, "score", anomaly.Score, anomaly.Timestamp);
            CheckValue(ref problems, "anomaly", anomaly.SensorId, 0, "lower", anomaly.Lower, anomaly.Timestamp);
            CheckValue(ref problems, "anomaly", anomaly.SensorId, 0, "upper", anomaly.Upper, anomaly.Timestamp);
            CheckTime(ref problems, "anomaly", anomaly.SensorId, anomaly.Timestamp);
            CheckTag(ref problems, "anomaly", "sensor", anomaly.SensorId);
            CheckTag(ref problems, "anomaly", "model", anomaly.Model);
        }

        foreach (var metrics in new Items<ModelMetrics>(batch.Metrics ?? []))
        {
            CheckValue(ref problems, "model_metrics", metrics.Model, 0, "mae", metrics.Mae, metrics.At);
            CheckValue(ref problems, "model_metrics", metrics.Model, 0, "coverage", metrics.Coverage, metrics.At);
            CheckTime(ref problems, "model_metrics", metrics.Model, metrics.At);
            CheckTag(ref problems, "model_metrics", "model", metrics.Model);
            CheckTag(ref problems, "model_metrics", "stage", metrics.Stage);
        }

        if (_writeReadings)
        {
            foreach (var reading in new Items<SensorReading>(batch.Readings))
            {
                CheckValue(ref problems, "reading", reading.SensorId, 0, "value", reading.Value, reading.Timestamp);
                CheckTime(ref problems, "reading", reading.SensorId, reading.Timestamp);
                CheckTag(ref problems, "reading", "sensor", reading.SensorId);
            }
        }

        if (problems is not null)
        {
            throw problems.ToException();
        }
    }

    private static void CheckValue(ref Problems? problems, string measurement, string sensor, int step, string field, double value, DateTimeOffset time)
    {
        if (!double.IsFinite(value))
        {
            var where = step > 0 ? $"step {step} " : "";
            (problems ??= new()).Add($"{measurement} sensor={sensor} at {time:O}: {where}{field}={value.ToString(CultureInfo.InvariantCulture)}", nonFinite: true);
        }
    }

    private static void CheckTime(ref Problems? problems, string measurement, string sensor, DateTimeOffset time)
    {
        if (!InNanosecondRange(time))
        {
            (problems ??= new()).Add($"{measurement} sensor={sensor} at {time:O}: time outside 1677-09-21..2262-04-11, which nanosecond timestamps cannot carry", nonFinite: false);
        }
    }

    private static void CheckTag(ref Problems? problems, string measurement, string tag, string? value)
    {
        if (TagProblem(value) is { } reason)
        {
            (problems ??= new()).Add($"{measurement} tag {tag}={Describe(value)}: {reason}", nonFinite: false);
        }
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

    private static void WriteField(LineBuffer buffer, ReadOnlySpan<byte> separatorAndKey, double value)
    {
        buffer.Write(separatorAndKey);
        WriteDouble(buffer, value);
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

    /// <summary>What is wrong with a batch: the count of non-finite values and the first few problems.</summary>
    private sealed class Problems
    {
        private readonly List<string> _examples = [];
        private int _nonFinite;

        public void Add(string problem, bool nonFinite)
        {
            if (nonFinite)
            {
                _nonFinite++;
            }

            if (_examples.Count < MaxExamples)
            {
                _examples.Add(problem);
            }
        }

        public InfluxDbInvalidPointException ToException()
        {
            var text = new StringBuilder(_nonFinite > 0
                ? $"Refused a batch with {_nonFinite} non-finite value(s); nothing of it was written. "
                : "Refused a batch with values line protocol cannot carry; nothing of it was written. ");
            text.AppendJoin("; ", _examples);
            return new InfluxDbInvalidPointException(text.ToString(), _nonFinite);
        }
    }

    /// <summary>
    /// One list, then another, by index: a foreach over an <see cref="IReadOnlyList{T}"/> allocates an
    /// enumerator, and each batch is walked three times (counted, checked, written).
    /// </summary>
    private readonly struct Items<T>(IReadOnlyList<T> first, IReadOnlyList<T>? second = null)
    {
        public Enumerator GetEnumerator() => new(first, second);

        public struct Enumerator(IReadOnlyList<T> first, IReadOnlyList<T>? second)
        {
            private int _index = -1;

            public readonly T Current => _index < first.Count ? first[_index] : second![_index - first.Count];

            public bool MoveNext() => ++_index < first.Count + (second?.Count ?? 0);
        }
    }
}
