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

    /// <summary>The value at sample <paramref name="t"/>; call with t = 0, 1, 2, ... in order.</summary>
    public double Next(long t)
    {
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
        if (_random.NextDouble() < 0.7)
        {
            return sign * _amplitude * Uniform(1.5, 3);
        }

        _shift = sign * _amplitude * Uniform(1, 2);
        _shiftLeft = 20;
        return _shift;
    }

    private double Uniform(double low, double high) => low + ((high - low) * _random.NextDouble());

    /// <summary>Standard normal by Box-Muller.</summary>
    private double Normal() =>
        Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble());
}
