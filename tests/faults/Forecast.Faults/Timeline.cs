using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;

namespace Forecast.Faults;

/// <summary>What one silo process showed at one sample.</summary>
/// <param name="Pid">Its process id (a restart is another process, whose counters start again).</param>
/// <param name="RssMb">Resident memory, MiB.</param>
/// <param name="Calls">Grain calls timed so far (<c>forecast_reading_latency</c>'s count).</param>
/// <param name="CallsWithinSecond">Of those, the ones whose readings were durable within 1 s of being produced.</param>
internal sealed record SiloSample(int Pid, double RssMb, double Calls, double CallsWithinSecond);

/// <summary>One moment of the run: the group's commits, the topic's ends and every running silo.</summary>
internal sealed record Sample(double At, long[] Committed, long[] Ends, IReadOnlyDictionary<int, SiloSample> Silos)
{
    public bool CaughtUp => Committed.Zip(Ends).All(p => p.First >= p.Second);
}

/// <summary>
/// Samples the run four times a second: the silos' consumer group's committed offsets (a reading is committed only
/// once durable in InfluxDB), each silo's <c>/metrics</c> (latency from produce to durable, over 1 s or not) and
/// its resident memory.
/// </summary>
internal sealed class Timeline : IDisposable
{
    private readonly Rig _rig;
    private readonly IConsumer<Ignore, Ignore> _group;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly List<Sample> _samples = [];
    private readonly List<(double At, string What)> _marks = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly Task _sampling;

    public Timeline(Rig rig)
    {
        _rig = rig;
        _group = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = rig.Kafka.BootstrapServers, GroupId = "forecast" }).Build();
        _sampling = Task.Run(SampleAsync);
    }

    /// <summary>Seconds since the run started.</summary>
    public double Now => Stopwatch.GetElapsedTime(_started).TotalSeconds;

    public IReadOnlyList<Sample> Samples
    {
        get
        {
            lock (_samples)
            {
                return [.. _samples];
            }
        }
    }

    /// <summary>What happened when (a kill, a server stopped or back), for the report and its plot.</summary>
    public IReadOnlyList<(double At, string What)> Marks
    {
        get
        {
            lock (_marks)
            {
                return [.. _marks];
            }
        }
    }

    /// <summary>Notes that <paramref name="what"/> happens now; returns the time.</summary>
    public double Mark(string what)
    {
        var at = Math.Round(Now, 2);
        lock (_marks)
        {
            _marks.Add((at, what));
        }

        return at;
    }

    public Sample? Last
    {
        get
        {
            lock (_samples)
            {
                return _samples.Count == 0 ? null : _samples[^1];
            }
        }
    }

    /// <summary>
    /// Seconds from <paramref name="since"/> until every reading produced by then was durable (each partition
    /// committed up to its end at that moment) and, over one second, 99% of the silos' calls were durable within
    /// 1 s of production; null when that did not happen before <paramref name="until"/>.
    /// </summary>
    public double? RecoveredAfter(double since, double until = double.MaxValue)
    {
        var samples = Samples;
        var at = samples.FirstOrDefault(s => s.At >= since);
        if (at is null)
        {
            return null;
        }

        for (var i = 1; i < samples.Count; i++)
        {
            var sample = samples[i];
            if (sample.At <= since || sample.At > until)
            {
                continue;
            }

            var backlogDone = sample.Committed.Select((c, p) => c >= at.Ends[p]).All(done => done);
            if (backlogDone && WithinLastSecond(samples, i) is null or >= 0.99)
            {
                return sample.At - since;
            }
        }

        return null;
    }

    /// <summary>The share of calls durable within 1 s over the second up to sample <paramref name="index"/> (null: no calls).</summary>
    public static double? WithinLastSecond(IReadOnlyList<Sample> samples, int index)
    {
        var previous = index;
        while (previous > 0 && samples[previous].At > samples[index].At - 0.99)
        {
            previous--;
        }

        return WithinSecond(samples[previous], samples[index]);
    }

    /// <summary>The share of calls durable within 1 s between two samples (null: no calls).</summary>
    public static double? WithinSecond(Sample previous, Sample sample)
    {
        double calls = 0, within = 0;
        foreach (var (number, now) in sample.Silos)
        {
            if (previous.Silos.TryGetValue(number, out var then) && then.Pid == now.Pid)
            {
                calls += now.Calls - then.Calls;
                within += now.CallsWithinSecond - then.CallsWithinSecond;
            }
        }

        return calls <= 0 ? null : within / calls;
    }

    /// <summary>The highest resident memory of any silo process, MiB.</summary>
    public double PeakRssMb => Samples.SelectMany(s => s.Silos.Values).Select(s => s.RssMb).DefaultIfEmpty(0).Max();

    /// <summary>Waits until the group has committed everything produced; returns false at the timeout.</summary>
    public async Task<bool> WaitCaughtUpAsync(long produced, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (Last is { } last && last.Committed.Sum() >= produced && last.CaughtUp)
            {
                return true;
            }

            await Task.Delay(250);
        }

        return false;
    }

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _sampling.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // Sampling ends with the run.
        }

        _group.Dispose();
        _http.Dispose();
    }

    private async Task SampleAsync()
    {
        // Four times a second, so a recovery time is read to a quarter of a second.
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
        {
            var partitions = Enumerable.Range(0, KafkaMockCluster.Partitions).Select(p => new TopicPartition(Producer.Topic, p)).ToList();
            long[] committed, ends;
            try
            {
                committed = [.. _group.Committed(partitions, TimeSpan.FromSeconds(5)).Select(c => Math.Max(0, c.Offset.Value))];
                ends = [.. partitions.Select(p => _group.QueryWatermarkOffsets(p, TimeSpan.FromSeconds(5)).High.Value)];
            }
            catch (KafkaException)
            {
                // The topic does not exist before the first reading.
                continue;
            }

            var silos = new Dictionary<int, SiloSample>();
            foreach (var slot in _rig.Silos)
            {
                // A process may end, or be replaced, between the check and the read: no sample of it this time.
                try
                {
                    if (slot.Process is { HasExited: false } process && await SiloAsync(slot, process.Id) is { } silo)
                    {
                        silos[slot.Number] = silo;
                    }
                }
                catch (InvalidOperationException)
                {
                }
            }

            lock (_samples)
            {
                _samples.Add(new Sample(Math.Round(Now, 2), committed, ends, silos));
            }
        }
    }

    private async Task<SiloSample?> SiloAsync(SiloSlot slot, int pid)
    {
        double calls = 0, within = 0;
        try
        {
            foreach (var line in (await _http.GetStringAsync($"{slot.Url}/metrics", _stop.Token)).Split('\n'))
            {
                if (line.StartsWith("forecast_reading_latency", StringComparison.Ordinal))
                {
                    if (line.Contains("_count", StringComparison.Ordinal))
                    {
                        calls = Value(line);
                    }
                    else if (line.Contains("le=\"1\"", StringComparison.Ordinal))
                    {
                        within = Value(line);
                    }
                }
            }
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            // Starting, stopping or too busy to answer within 2 s: no sample of it this time.
            return null;
        }

        return new SiloSample(pid, Rss(pid), calls, within);
    }

    /// <summary>The sample's value: the second field of an exposition line (a timestamp may follow).</summary>
    private static double Value(string line)
    {
        var labelsEnd = line.LastIndexOf('}');
        var rest = labelsEnd >= 0 ? line[(labelsEnd + 1)..] : line[line.IndexOf(' ', StringComparison.Ordinal)..];
        return double.Parse(rest.Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    private static double Rss(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
