using System.Collections.Concurrent;
using Forecast.Abstractions;
using Forecast.Models.Registry;

namespace Forecast.Models.Serving;

/// <summary>
/// This silo's live accuracy per model version over <see cref="ModelsOptions.MetricsWindow"/>: buckets of
/// <see cref="BucketLength"/>, the oldest dropped as time moves on. Sensors add once per grain call.
/// </summary>
internal sealed class AccuracyWindow(IOptions<ModelsOptions> options, TimeProvider clock) : IModelAccuracy
{
    private static readonly TimeSpan BucketLength = TimeSpan.FromSeconds(10);
    private readonly int _buckets = Math.Max(1, (int)Math.Ceiling(options.Value.MetricsWindow / BucketLength));
    private readonly ConcurrentDictionary<string, Buckets> _models = new();

    public void Record(string modelId, int readings, double absoluteError, int covered)
    {
        var buckets = _models.GetOrAdd(modelId, _ => new Buckets(_buckets));
        buckets.Add(Now(), readings, absoluteError, covered);
    }

    /// <summary>The window's sums per version that scored anything.</summary>
    public IReadOnlyList<VersionAccuracy> Snapshot()
    {
        var now = Now();
        return [.. _models.Select(m => m.Value.Sum(m.Key, now)).Where(a => a.Readings > 0)];
    }

    private long Now() => clock.GetUtcNow().UtcTicks / BucketLength.Ticks;

    private sealed class Buckets(int count)
    {
        private readonly Lock _gate = new();
        private readonly long[] _index = new long[count];
        private readonly long[] _readings = new long[count];
        private readonly double[] _error = new double[count];
        private readonly long[] _covered = new long[count];

        public void Add(long bucket, int readings, double error, int covered)
        {
            lock (_gate)
            {
                var slot = (int)(bucket % count);
                if (_index[slot] != bucket)
                {
                    (_index[slot], _readings[slot], _error[slot], _covered[slot]) = (bucket, 0, 0, 0);
                }

                _readings[slot] += readings;
                _error[slot] += error;
                _covered[slot] += covered;
            }
        }

        public VersionAccuracy Sum(string model, long now)
        {
            lock (_gate)
            {
                long readings = 0, covered = 0;
                double error = 0;
                for (var slot = 0; slot < count; slot++)
                {
                    if (now - _index[slot] < count)
                    {
                        readings += _readings[slot];
                        error += _error[slot];
                        covered += _covered[slot];
                    }
                }

                return new VersionAccuracy(model, readings, error, covered);
            }
        }
    }
}
