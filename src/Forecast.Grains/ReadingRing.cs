namespace Forecast.Grains;

/// <summary>The last readings of a sensor, oldest overwritten first; used to re-warm the model.</summary>
internal sealed class ReadingRing(int capacity)
{
    private readonly long[] _ticks = new long[capacity];
    private readonly float[] _values = new float[capacity];
    private int _next;

    public int Count { get; private set; }

    public int Capacity => _ticks.Length;

    public void Add(DateTimeOffset timestamp, double value)
    {
        _ticks[_next] = timestamp.UtcTicks;
        _values[_next] = (float)value;
        _next = (_next + 1) % Capacity;
        Count = Math.Min(Count + 1, Capacity);
    }

    /// <summary>The ring's state, for a checkpoint.</summary>
    public ReadingRingState ToState()
    {
        var ticks = new long[Count];
        var values = new float[Count];
        for (var i = 0; i < Count; i++)
        {
            var index = Index(Count - 1 - i);
            ticks[i] = _ticks[index];
            values[i] = _values[index];
        }

        return new ReadingRingState(Capacity, ticks, values);
    }

    /// <summary>A ring of the state's capacity holding its readings (the newest ones when they do not fit).</summary>
    public static ReadingRing From(ReadingRingState state)
    {
        var ring = new ReadingRing(state.Capacity);
        for (var i = Math.Max(0, state.Ticks.Length - state.Capacity); i < state.Ticks.Length; i++)
        {
            ring.Add(new DateTimeOffset(state.Ticks[i], TimeSpan.Zero), state.Values[i]);
        }

        return ring;
    }

    /// <summary>The value <paramref name="age"/> readings back (0 is the newest).</summary>
    public float ValueAt(int age) => _values[Index(age)];

    /// <summary>The values, oldest first.</summary>
    public IEnumerable<double> Values()
    {
        for (var age = Count - 1; age >= 0; age--)
        {
            yield return ValueAt(age);
        }
    }

    /// <summary>The event time of the reading <paramref name="age"/> readings back.</summary>
    public DateTimeOffset TimestampAt(int age) => new(_ticks[Index(age)], TimeSpan.Zero);

    /// <summary>The median time between the newest <paramref name="readings"/> readings, or null with fewer than two.</summary>
    public TimeSpan? MedianInterval(int readings)
    {
        var n = Math.Min(readings, Count);
        if (n < 2)
        {
            return null;
        }

        var deltas = new long[n - 1];
        for (var age = 0; age < n - 1; age++)
        {
            deltas[age] = _ticks[Index(age)] - _ticks[Index(age + 1)];
        }

        Array.Sort(deltas);
        return TimeSpan.FromTicks(deltas[deltas.Length / 2]);
    }

    private int Index(int age)
    {
        if ((uint)age >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(age), age, $"The ring holds {Count} readings.");
        }

        return (_next - 1 - age + Capacity) % Capacity;
    }
}

/// <summary>A <see cref="ReadingRing"/> as a checkpoint holds it; the arrays are its own copies.</summary>
/// <param name="Capacity">Capacity of the ring (the model's window or warm-up, whichever is longer).</param>
/// <param name="Ticks">Event times in UTC ticks, oldest first.</param>
/// <param name="Values">Values, oldest first.</param>
[GenerateSerializer, Immutable, Alias("Forecast.ReadingRingState")]
internal sealed record ReadingRingState(
    [property: Id(0)] int Capacity,
    [property: Id(1)] long[] Ticks,
    [property: Id(2)] float[] Values);
