namespace Forecast.Host.Verification;

/// <summary>
/// What entered against what is durable, per sensor. A reading entered in order (later than every earlier one of
/// its sensor) must be durable; one at or before an earlier one is late or a duplicate, which the grains ignore
/// by design, so it is reported but never counted as lost.
/// </summary>
internal static class LossCheck
{
    /// <summary>Compares <paramref name="entered"/> (each sensor's timestamps in the order they entered, epoch ms) with <paramref name="durable"/>.</summary>
    public static LossReport Compare(IReadOnlyDictionary<string, List<long>> entered, IReadOnlyDictionary<string, HashSet<long>> durable)
    {
        var sensors = new List<SensorLoss>(entered.Count);
        foreach (var (sensor, times) in entered.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            var stored = durable.TryGetValue(sensor, out var set) ? set : [];
            var (inOrder, late, duplicates, lost) = (0, 0, 0, 0);
            var latest = long.MinValue;
            var lostTimes = new List<long>();
            foreach (var time in times)
            {
                if (time == latest)
                {
                    duplicates++;
                    continue;
                }

                if (time < latest)
                {
                    late++;
                    continue;
                }

                latest = time;
                inOrder++;
                if (!stored.Contains(time))
                {
                    lost++;
                    if (lostTimes.Count < 5)
                    {
                        lostTimes.Add(time);
                    }
                }
            }

            sensors.Add(new SensorLoss(sensor, inOrder, inOrder - lost, lost, late, duplicates, [.. lostTimes.Select(DateTimeOffset.FromUnixTimeMilliseconds)]));
        }

        return new LossReport(sensors);
    }
}

/// <summary>One sensor's figures: the first few lost readings' times are named.</summary>
internal sealed record SensorLoss(string Sensor, int Entered, int Durable, int Lost, int Late, int Duplicates, IReadOnlyList<DateTimeOffset> FirstLost);

/// <summary>Every sensor's figures and their totals.</summary>
internal sealed record LossReport(IReadOnlyList<SensorLoss> Sensors)
{
    public int Entered => Sensors.Sum(s => s.Entered);

    public int Durable => Sensors.Sum(s => s.Durable);

    public int Lost => Sensors.Sum(s => s.Lost);

    public int Late => Sensors.Sum(s => s.Late);

    public int Duplicates => Sensors.Sum(s => s.Duplicates);
}
