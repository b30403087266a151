namespace Forecast.Host.Simulation;

/// <summary>
/// One synthetic sensor: a base level, a seasonal cycle with its second harmonic, a slow trend and
/// AR(1) noise; the same family <c>onnx/simulate.py</c> trains the bundled model on. Anomalies
/// (spikes and short level shifts) are injected at a given rate and counted.
/// </summary>
internal sealed class SimulatedSensor
{
    private readonly Random _random;
    private readonly double _base;
    private readonly double _amplitude;
    private readonly double _period;
    private readonly double _phase;
    private readonly double _harmonic;
    private readonly double _harmonicPhase;
    private readonly double _slope;
    private readonly double _ar;
    private readonly double _sigma;
    private readonly double _anomalyRate;
    private double _noise;
    private int _shiftLeft;
    private double _shift;

    // Injections not yet judged over, oldest first: their first and last sample, and whether one was detected.
    private readonly Queue<Injection> _open = new();

    public SimulatedSensor(string id, int seed, double anomalyRate)
    {
        Id = id;
        _random = new Random(seed);
        _base = Uniform(10, 100);
        _amplitude = _base * Uniform(0.05, 0.3);
        _period = Uniform(24, 144);
        _phase = Uniform(0, 2 * Math.PI);
        _harmonic = _amplitude * Uniform(0, 0.5);
        _harmonicPhase = Uniform(0, 2 * Math.PI);
        _slope = Normal() * _amplitude * 0.002;
        _ar = Uniform(0, 0.8);
        _sigma = _amplitude * Uniform(0.02, 0.2);
        _anomalyRate = anomalyRate;
    }

    public string Id { get; }

    /// <summary>Anomalies injected so far (a level shift counts once).</summary>
    public int Injected { get; private set; }

    /// <summary>The detector's record against what was injected (see <see cref="Judge"/>).</summary>
    public DetectorCounts Counts { get; private set; } = new();

    /// <summary>
    /// Scores the detector on sample <paramref name="t"/>, once its grain call returned with
    /// <paramref name="opened"/> episodes opened. A detection counts as true within
    /// <paramref name="tolerance"/> samples after an injection ends; an injection before sample
    /// <paramref name="judgeFrom"/> (the sensor's warm-up and learning) is not judged.
    /// </summary>
    public void Judge(long t, int opened, long judgeFrom, int tolerance)
    {
        lock (_open)
        {
            var counts = Counts;
            var hit = false;
            foreach (var injection in _open)
            {
                if (t >= injection.First && t <= injection.Last + tolerance && opened > 0 && !hit)
                {
                    hit = true;
                    injection.Detected = true;
                }
            }

            counts = counts with { Detections = counts.Detections + opened, TrueDetections = counts.TrueDetections + (hit ? opened : 0) };
            while (_open.TryPeek(out var oldest) && t > oldest.Last + tolerance)
            {
                _open.Dequeue();
                if (oldest.First >= judgeFrom)
                {
                    counts = counts with { JudgedInjections = counts.JudgedInjections + 1, DetectedJudged = counts.DetectedJudged + (oldest.Detected ? 1 : 0) };
                }
            }

            Counts = counts;
        }
    }

    /// <summary>The value at sample <paramref name="t"/>; call with t = 0, 1, 2, ... in order.</summary>
    public double Next(long t)
    {
        _sample = t;
        _noise = (_ar * _noise) + (_sigma * Normal());
        var value = _base
            + (_amplitude * Math.Sin((2 * Math.PI * t / _period) + _phase))
            + (_harmonic * Math.Sin((4 * Math.PI * t / _period) + _harmonicPhase))
            + (_slope * t)
            + _noise;
        return value + Anomaly();
    }

    private double Anomaly()
    {
        if (_shiftLeft > 0)
        {
            _shiftLeft--;
            return _shift;
        }

        if (_anomalyRate <= 0 || _random.NextDouble() >= _anomalyRate)
        {
            return 0;
        }

        Injected++;
        var sign = _random.NextDouble() < 0.5 ? -1 : 1;
        var spike = _random.NextDouble() < 0.7;
        lock (_open)
        {
            _open.Enqueue(new Injection(_sample, _sample + (spike ? 0 : ShiftLength)));
        }

        if (spike)
        {
            return sign * _amplitude * Uniform(1.5, 3);
        }

        _shift = sign * _amplitude * Uniform(1, 2);
        _shiftLeft = ShiftLength;
        return _shift;
    }

    private const int ShiftLength = 20;

    private long _sample;

    private sealed class Injection(long first, long last)
    {
        public long First => first;

        public long Last => last;

        public bool Detected { get; set; }
    }

    private double Uniform(double low, double high) => low + ((high - low) * _random.NextDouble());

    /// <summary>Standard normal by Box-Muller.</summary>
    private double Normal() =>
        Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble());
}

/// <summary>How the detector did against the simulator's injections.</summary>
/// <param name="Detections">Episodes opened.</param>
/// <param name="TrueDetections">Of those, the ones during an injection or shortly after it.</param>
/// <param name="JudgedInjections">Injections over and judged (after the sensor's learning period).</param>
/// <param name="DetectedJudged">Of those, the ones detected.</param>
internal sealed record DetectorCounts(int Detections = 0, int TrueDetections = 0, int JudgedInjections = 0, int DetectedJudged = 0)
{
    public static DetectorCounts operator +(DetectorCounts a, DetectorCounts b) => new(
        a.Detections + b.Detections, a.TrueDetections + b.TrueDetections, a.JudgedInjections + b.JudgedInjections, a.DetectedJudged + b.DetectedJudged);
}
