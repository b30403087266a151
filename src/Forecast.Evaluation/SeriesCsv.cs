using System.Globalization;

namespace Forecast.Evaluation;

/// <summary>
/// One series read from a CSV file: a time column and a numeric value column. Like a sensor grain, the
/// series keeps a row only when it is later than the last kept one: a repeated timestamp (a duplicate)
/// or an earlier one (out of order) is ignored and counted, but remembered so per-row output can cover
/// every row.
/// </summary>
internal sealed class SeriesCsv
{
    private SeriesCsv(string path, string[] timeTexts, DateTimeOffset[] times, double[] values, Row[] rows)
    {
        Path = path;
        TimeTexts = timeTexts;
        Times = times;
        Values = values;
        Rows = rows;
    }

    public string Path { get; }

    /// <summary>The time column as written in the file (echoed into the anomaly output).</summary>
    public string[] TimeTexts { get; }

    public DateTimeOffset[] Times { get; }

    public double[] Values { get; }

    public int Count => Values.Length;

    /// <summary>Every data row of the file, duplicates included, with the series index it maps to.</summary>
    public Row[] Rows { get; }

    /// <summary>Rows ignored because they repeat the timestamp of the last kept row.</summary>
    public int Duplicates => Rows.Length - Values.Length - OutOfOrder;

    /// <summary>Rows ignored because their timestamp is before the last kept row's.</summary>
    public int OutOfOrder { get; private init; }

    /// <summary>
    /// Reads the file. Timestamps are ISO 8601 (UTC when they carry no offset); rows out of time order are
    /// ignored as described above; values are finite numbers with a '.' decimal point. Anything else is a
    /// <see cref="FormatException"/> naming the file, line and column.
    /// </summary>
    public static SeriesCsv Read(string path, string timeColumn, string valueColumn)
    {
        if (!File.Exists(path))
        {
            throw new FormatException($"{path} does not exist.");
        }

        using var reader = new StreamReader(path);
        var header = reader.ReadLine() ?? throw new FormatException($"{path} is empty; the first line must name the columns.");
        var columns = header.Split(',').Select(c => c.Trim().Trim('"')).ToArray();
        var timeIndex = Column(columns, timeColumn, path);
        var valueIndex = Column(columns, valueColumn, path);
        var timeTexts = new List<string>();
        var times = new List<DateTimeOffset>();
        var values = new List<double>();
        var rows = new List<Row>();
        var lineNumber = 1;
        var outOfOrder = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            var fields = line.Split(',');
            if (fields.Length != columns.Length)
            {
                throw new FormatException($"{path}:{lineNumber}: {fields.Length} fields, the header has {columns.Length}.");
            }

            var timeText = fields[timeIndex].Trim().Trim('"');
            if (!DateTimeOffset.TryParse(timeText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
            {
                throw new FormatException($"{path}:{lineNumber}: '{timeText}' in column '{timeColumn}' is not a timestamp (use ISO 8601, e.g. 2016-07-01 00:00:00).");
            }

            var valueText = fields[valueIndex].Trim().Trim('"');
            if (!double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            {
                throw new FormatException($"{path}:{lineNumber}: '{valueText}' in column '{valueColumn}' is not a finite number.");
            }

            if (times.Count > 0 && time <= times[^1])
            {
                // As a sensor grain does: a reading at or before the last applied one is ignored and counted.
                rows.Add(new Row(timeText, value, times.Count - 1));
                if (time < times[^1])
                {
                    outOfOrder++;
                }

                continue;
            }

            rows.Add(new Row(timeText, value, times.Count));
            timeTexts.Add(timeText);
            times.Add(time);
            values.Add(value);
        }

        if (values.Count < 2)
        {
            throw new FormatException($"{path} holds {values.Count} data rows; a series needs at least 2.");
        }

        return new SeriesCsv(path, [.. timeTexts], [.. times], [.. values], [.. rows]) { OutOfOrder = outOfOrder };
    }

    /// <summary>The first row at or after <paramref name="time"/>, or <see cref="Count"/>.</summary>
    public int IndexAtOrAfter(DateTimeOffset time)
    {
        var index = Array.BinarySearch(Times, time);
        return index >= 0 ? index : ~index;
    }

    /// <summary>A data row as written, and the index in the series of the reading it belongs to.</summary>
    public readonly record struct Row(string TimeText, double Value, int Index);

    private static int Column(string[] columns, string name, string path)
    {
        var index = Array.IndexOf(columns, name);
        return index >= 0
            ? index
            : throw new FormatException($"{path} has no column '{name}' (columns: {string.Join(", ", columns)}).");
    }
}
