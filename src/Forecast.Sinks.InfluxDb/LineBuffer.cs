using System.Buffers;

namespace Forecast.Sinks.InfluxDb;

/// <summary>A growable UTF-8 byte buffer rented from the shared array pool.</summary>
internal sealed class LineBuffer
{
    private byte[] _buffer;

    public LineBuffer(int initialCapacity)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initialCapacity, 256));
    }

    public int Length { get; private set; }

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, Length);

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, Length);

    public Span<byte> GetSpan(int sizeHint)
    {
        if (_buffer.Length - Length < sizeHint)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, Length + sizeHint));
            _buffer.AsSpan(0, Length).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }

        return _buffer.AsSpan(Length);
    }

    public void Advance(int count) => Length += count;

    public void Write(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        Length += bytes.Length;
    }

    public void Write(byte value)
    {
        GetSpan(1)[0] = value;
        Length++;
    }

    public void Clear() => Length = 0;

    /// <summary>Hands the array back to the pool; the buffer must not be used afterwards.</summary>
    public void Release()
    {
        var buffer = _buffer;
        _buffer = [];
        Length = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
