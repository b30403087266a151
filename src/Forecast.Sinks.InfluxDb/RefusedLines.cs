using System.Text;

namespace Forecast.Sinks.InfluxDb;

/// <summary>
/// Finds which lines of a refused batch InfluxDB objects to: the lines its error quotes, or else by
/// resending halves until each refused line stands alone (rewriting a point with the same values is
/// harmless). Lines the server accepted on the way are marked written.
/// </summary>
/// <param name="body">The refused request body: the batch's writes, one after another.</param>
/// <param name="writeLengths">Byte length of each write in <paramref name="body"/>, in order.</param>
/// <param name="send">Sends a body of the given number of lines, with the sink's retries.</param>
/// <param name="maxRequests">Most extra requests to spend narrowing the refusal down.</param>
internal sealed class RefusedLines(
    ReadOnlyMemory<byte> body,
    IReadOnlyList<int> writeLengths,
    Func<ReadOnlyMemory<byte>, int, Task<WriteOutcome>> send,
    int maxRequests)
{
    private int _requests;

    /// <summary>The body's lines, in owner order: each write's lines follow the previous write's.</summary>
    public List<LineRef> Lines { get; } = Split(body.Span, writeLengths);

    public LineState[] State { get; private set; } = [];

    public string?[] Reasons { get; private set; } = [];

    public string Text(int line) => Encoding.UTF8.GetString(body.Span.Slice(Lines[line].Start, Lines[line].Length));

    public async Task FindAsync(WriteOutcome refusal)
    {
        State = new LineState[Lines.Count];
        Reasons = new string?[Lines.Count];
        var quoted = QuotedLines(refusal.Error);
        var pending = new List<int>(Lines.Count);
        for (var i = 0; i < Lines.Count; i++)
        {
            if (quoted.Count > 0 && quoted.Contains(Text(i)))
            {
                State[i] = LineState.Rejected;
                Reasons[i] = refusal.Describe();
            }
            else
            {
                pending.Add(i);
            }
        }

        if (pending.Count == Lines.Count)
        {
            // Nothing named: narrow the refusal down by halves.
            await IsolateAsync(pending, 0, pending.Count, refusal).ConfigureAwait(false);
        }
        else if (pending.Count > 0)
        {
            // The server named the bad lines; make sure the rest is stored (1.x already stored it,
            // 2.x refuses the whole body on a parse error).
            await IsolateAsync(pending, 0, pending.Count, null).ConfigureAwait(false);
        }
    }

    /// <summary>The lines quoted by InfluxDB's "unable to parse '…'" errors (several are joined by newlines).</summary>
    internal static HashSet<string> QuotedLines(string error)
    {
        const string marker = "unable to parse '";
        var lines = new HashSet<string>(StringComparer.Ordinal);
        var at = 0;
        while ((at = error.IndexOf(marker, at, StringComparison.Ordinal)) >= 0)
        {
            var start = at + marker.Length;
            var end = error.IndexOf("': ", start, StringComparison.Ordinal);
            if (end < 0)
            {
                break;
            }

            lines.Add(error[start..end]);
            at = end;
        }

        return lines;
    }

    /// <summary>Sends lines <c>order[from..from+count)</c>; on a refusal, halves them until each refused line stands alone.</summary>
    private async Task IsolateAsync(List<int> order, int from, int count, WriteOutcome? known)
    {
        WriteOutcome outcome;
        if (known is { } refusal)
        {
            outcome = refusal;
        }
        else
        {
            _requests++;
            outcome = await send(Body(order, from, count), count).ConfigureAwait(false);
        }

        if (outcome.Kind == WriteOutcomeKind.Success)
        {
            Mark(order, from, count, LineState.Written, null);
            return;
        }

        if (outcome.Kind == WriteOutcomeKind.Retryable)
        {
            Mark(order, from, count, LineState.Unavailable, outcome.Describe());
            return;
        }

        if (count == 1)
        {
            Mark(order, from, 1, LineState.Rejected, outcome.Describe());
            return;
        }

        if (_requests + 2 > maxRequests)
        {
            Mark(order, from, count, LineState.Rejected, $"{outcome.Describe()} (not narrowed down further)");
            return;
        }

        var half = count / 2;
        await IsolateAsync(order, from, half, null).ConfigureAwait(false);
        await IsolateAsync(order, from + half, count - half, null).ConfigureAwait(false);
    }

    private ReadOnlyMemory<byte> Body(List<int> order, int from, int count)
    {
        var size = 0;
        for (var i = from; i < from + count; i++)
        {
            size += Lines[order[i]].Length + 1;
        }

        var bytes = new byte[size];
        var offset = 0;
        for (var i = from; i < from + count; i++)
        {
            var line = Lines[order[i]];
            body.Span.Slice(line.Start, line.Length).CopyTo(bytes.AsSpan(offset));
            offset += line.Length;
            bytes[offset++] = (byte)'\n';
        }

        return bytes;
    }

    private void Mark(List<int> order, int from, int count, LineState value, string? reason)
    {
        for (var i = from; i < from + count; i++)
        {
            State[order[i]] = value;
            Reasons[order[i]] = reason;
        }
    }

    private static List<LineRef> Split(ReadOnlySpan<byte> body, IReadOnlyList<int> writeLengths)
    {
        var lines = new List<LineRef>();
        var offset = 0;
        for (var w = 0; w < writeLengths.Count; w++)
        {
            var end = offset + writeLengths[w];
            while (offset < end)
            {
                var length = body[offset..end].IndexOf((byte)'\n');
                if (length < 0)
                {
                    length = end - offset;
                }

                lines.Add(new LineRef(offset, length, w));
                offset += length + 1;
            }

            offset = end;
        }

        return lines;
    }
}

/// <summary>What became of one line of a refused batch.</summary>
internal enum LineState
{
    Unknown,
    Written,
    Rejected,
    Unavailable,
}

/// <summary>A line of a request body: where it is, and which write (by index) it belongs to.</summary>
internal readonly record struct LineRef(int Start, int Length, int Owner);
