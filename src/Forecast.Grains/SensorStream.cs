using System.Runtime.CompilerServices;
using Forecast.Abstractions;
using Microsoft.Extensions.Logging.Abstractions;

namespace Forecast.Grains;

/// <summary>
/// The forecasting logic of one sensor, free of Orleans: orders and de-duplicates readings, fits the
/// scaler during warm-up, steps the model once per reading, scores each reading against the forecast
/// made for it, and hands the scores to its <see cref="SensorAlarms"/>. A stateful-step model carries its
/// recurrent state from step to step; a window model is fed the last <c>Window</c> entries of the
/// ring buffer every step, which then holds what the model saw (gaps filled with the forecast,
/// spikes clipped as the episode rules say). When the level drifts far from the scaler for
/// <see cref="AnomalyOptions.DriftReadings"/> readings in a row, the scaler is refitted on the ring
/// buffer and the model re-warmed from it, as after a model change.
/// </summary>
internal sealed partial class SensorStream(string sensorId, AnomalyOptions options, ILogger? logger = null, AlertRuleOptions? alertRules = null)
{
    private static readonly AlertRuleOptions DefaultAlertRules = new();
    private readonly AlertRuleOptions _alertRules = alertRules ?? DefaultAlertRules;
    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    /// <summary>Model id written on predictions made before the model is warmed up (repeat last value).</summary>
    public const string WarmupModelId = "naive@warmup";

    private Scaler _scaler = new();
    private ResidualScale _residuals = new();
    private StepResiduals? _steps;
    private AnomalyScorer _scorer = new(options);
    private SensorAlarms _alarms = new(sensorId, alertRules ?? DefaultAlertRules);
    private ReadingRing? _ring;
    private ModelDescriptor? _model;

    // The model the state belongs to. After a restore it is known by id only, until the first reading
    // brings the forecaster's descriptor: the same id adopts the state, another one re-warms from the ring.
    private string? _modelId;
    private float[] _state = [];
    private float[] _forecast = [];
    private bool _primed;
    private TimeSpan _interval;

    // Set when a running sensor is bound to another model: a window model may then prime on a shorter
    // history (padded), so a model change does not fall back to naive forecasts while the ring refills.
    private bool _rebound;

    // Consecutive readings beyond AnomalyOptions.DriftScore under the current scaler.
    private int _driftRun;

    // Readings clipped since the surprise was last quiet (AnomalyOptions.ClampReadings).
    private int _clamped;

    public string SensorId => sensorId;

    public DateTimeOffset? LastApplied { get; private set; }

    public long Applied { get; private set; }

    public long Duplicates { get; private set; }

    public long OutOfOrder { get; private set; }

    public long Invalid { get; private set; }

    /// <summary>Times the scaler was refitted because the level drifted away from it.</summary>
    public long Refits { get; private set; }

    /// <summary>Null for the served stream; <see cref="Prediction.ShadowStage"/> for a shadow version's copy.</summary>
    public string? Stage { get; private set; }

    /// <summary>
    /// A copy of this stream for a shadow version: the same scaler, ring and counters, so the shadow model re-warms
    /// from the ring on its first reading, as after a model change. Its predictions carry <see cref="Stage"/>.
    /// </summary>
    public SensorStream ForShadow()
    {
        var shadow = Restore(sensorId, options, Export(), _logger, _alertRules);
        shadow.Stage = Prediction.ShadowStage;
        return shadow;
    }

    /// <summary>A stream that resumes from a checkpoint.</summary>
    public static SensorStream Restore(
        string sensorId, AnomalyOptions options, SensorState state, ILogger? logger = null, AlertRuleOptions? alertRules = null) =>
        new(sensorId, options, logger, alertRules)
        {
            _alarms = SensorAlarms.From(sensorId, alertRules ?? DefaultAlertRules, state),
            _modelId = state.ModelId,
            _scaler = Scaler.From(state.ScalerOrFlat()),
            _residuals = ResidualScale.From(state.ResidualsOrFlat()),
            _scorer = state.Scorer is { } scorer ? AnomalyScorer.From(scorer, options) : new AnomalyScorer(options),
            _clamped = state.Clamped,
            _ring = state.RingOrFlat() is { } ring ? ReadingRing.From(ring) : null,
            _state = [.. state.ModelState],
            _forecast = [.. state.Forecast],
            _primed = state.Primed && state.ModelId is not null,
            _interval = state.Interval,
            LastApplied = state.LastApplied,
            Applied = state.Applied,
            Duplicates = state.Duplicates,
            OutOfOrder = state.OutOfOrder,
            Invalid = state.Invalid,
            _driftRun = state.DriftRun,
            Refits = state.Refits,
            _steps = state.StepsOrFlat() is { } steps ? StepResiduals.From(steps) : null,
        };

    /// <summary>A copy of the durable state, for a checkpoint.</summary>
    public SensorState Export() => new()
    {
        ModelId = _modelId,
        ModelState = [.. _state],
        Forecast = [.. _forecast],
        Primed = _primed,
        Interval = _interval,
        LastApplied = LastApplied,
        Applied = Applied,
        Duplicates = Duplicates,
        OutOfOrder = OutOfOrder,
        Invalid = Invalid,
        DriftRun = _driftRun,
        Refits = Refits,
        Scaler = _scaler.ToState(),
        Ring = _ring?.ToState(),
        Residuals = _residuals.ToState(),
        Episode = _alarms.EpisodeState,
        Steps = _steps?.ToState(),
        Scorer = _scorer.ToState(),
        Clamped = _clamped,
        Alert = _alarms.AlertState,
    };

    /// <summary>Applies readings in event-time order; predictions and anomalies of the applied ones come back.</summary>
    public async ValueTask<StreamOutput> ApplyAsync(
        IReadOnlyList<SensorReading> readings, IForecaster forecaster, CancellationToken cancellationToken = default)
    {
        var output = new StreamOutput(readings.Count);
        foreach (var reading in InEventTimeOrder(readings))
        {
            if (!double.IsFinite(reading.Value) || reading.SensorId != sensorId)
            {
                Invalid++;
                output.Invalid++;
            }
            else if (LastApplied is { } last && reading.Timestamp <= last)
            {
                // A replay after a rebalance or crash: applying it again would double-step the model.
                if (reading.Timestamp == last)
                {
                    Duplicates++;
                    output.Duplicates++;
                }
                else
                {
                    OutOfOrder++;
                    output.OutOfOrder++;
                }
            }
            else
            {
                await ApplyAsync(reading, forecaster, output, cancellationToken);
            }
        }

        return output;
    }

    public SensorStatus Status() => new(
        _modelId ?? WarmupModelId,
        LastApplied,
        Applied,
        Duplicates,
        OutOfOrder,
        Invalid,
        _primed,
        _scaler.Mean,
        _scaler.Scale,
        _alarms.EpisodeOpen,
        [.. _state],
        Refits: Refits);

    private static IReadOnlyList<SensorReading> InEventTimeOrder(IReadOnlyList<SensorReading> readings)
    {
        for (var i = 1; i < readings.Count; i++)
        {
            if (readings[i].Timestamp < readings[i - 1].Timestamp)
            {
                // Stable, so equal timestamps keep arrival order and the later copy counts as the duplicate.
                return [.. readings.OrderBy(r => r.Timestamp)];
            }
        }

        return readings;
    }

    // Per reading, and suspended on the model call: pooled, a box per call was a twentieth of a reading's allocations.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ApplyAsync(
        SensorReading reading, IForecaster forecaster, StreamOutput output, CancellationToken cancellationToken)
    {
        var model = forecaster.Model;
        if (_model is null && Fits(model))
        {
            _model = model;
            if (_steps?.Horizon != model.Horizon)
            {
                // A checkpoint from before per-step scales, or of another horizon: start them now.
                _steps = StepResiduals.For(model.Horizon);
            }
        }
        else if (_model?.Id != model.Id)
        {
            Bind(model);
        }

        if (!_primed || model.Signature == ModelSignature.StatefulStep)
        {
            // Once a window model is primed, the step itself appends what the model sees.
            _ring!.Add(reading.Timestamp, reading.Value);
        }

        if (!_scaler.IsFixed)
        {
            _scaler.Observe(reading.Value);
            if (_scaler.Count >= model.Warmup)
            {
                _scaler.Fix(model.MinScale, model.RelativeMinScale);
                _interval = _ring!.MedianInterval(model.Warmup) is { Ticks: > 0 } observed ? observed : model.SamplingInterval;
            }
        }

        if (!_primed)
        {
            // No forecast judges it yet, but the sensor's range and season learn from it.
            // Until the warm-up fixes the interval, the gap since the last reading stands in for it.
            var interval = _interval > TimeSpan.Zero ? _interval : LastApplied is { } last ? reading.Timestamp - last : model.SamplingInterval;
            _scorer.Learn(reading.Timestamp, reading.Value, interval, options);
        }

        if (!_primed && !CanPrime(model))
        {
            output.Add(reading, RepeatLast(reading, model), double.NaN);
            Commit(reading);
            return;
        }

        var score = double.NaN;
        if (!_primed)
        {
            await PrimeAsync(model, forecaster, cancellationToken);
        }
        else
        {
            score = await StepAsync(reading, model, forecaster, output, cancellationToken);
        }

        _steps?.Push(_forecast);
        output.Add(reading, Predict(reading, model), score);
        Commit(reading);
    }

    /// <summary>The scaler is fixed and, for a window model, the ring holds a full window.</summary>
    private bool CanPrime(ModelDescriptor model) =>
        _scaler.IsFixed && (model.Signature == ModelSignature.StatefulStep || _ring!.Count >= model.Window || _rebound);

    /// <summary>Whether restored state belongs to <paramref name="model"/> and has its shapes.</summary>
    private bool Fits(ModelDescriptor model) =>
        _modelId == model.Id
        && _ring?.Capacity == Math.Max(model.Window, model.Warmup)
        && _state.Length == model.StateSize
        && _forecast.Length == model.Horizon;

    /// <summary>Binds the stream to a (new) model: state is reset and re-warmed from the ring buffer.</summary>
    private void Bind(ModelDescriptor model)
    {
        _rebound = _modelId is not null && _scaler.IsFixed;
        var ring = new ReadingRing(Math.Max(model.Window, model.Warmup));
        for (var age = (_ring?.Count ?? 0) - 1; age >= 0; age--)
        {
            ring.Add(_ring!.TimestampAt(age), _ring.ValueAt(age));
        }

        _ring = ring;
        _model = model;
        _modelId = model.Id;
        _state = new float[model.StateSize];
        _forecast = new float[model.Horizon];
        _steps = StepResiduals.For(model.Horizon);
        _primed = false;
    }

    /// <summary>
    /// Runs the buffered readings through the model in one call: all of them from zero state for a
    /// stateful-step model, the last window for a window model.
    /// </summary>
    private async ValueTask PrimeAsync(ModelDescriptor model, IForecaster forecaster, CancellationToken cancellationToken)
    {
        var inputs = model.Signature == ModelSignature.Window ? WindowInputs(model) : new float[_ring!.Count];
        if (model.Signature == ModelSignature.StatefulStep)
        {
            for (var i = 0; i < inputs.Length; i++)
            {
                inputs[i] = Normalise(_ring!.ValueAt(inputs.Length - 1 - i), model);
            }
        }

        Array.Clear(_state);
        await forecaster.StepAsync(inputs, _state, _forecast, cancellationToken);
        _primed = true;
        _rebound = false;
    }

    /// <summary>
    /// The newest <c>Window</c> ring entries, normalised and clipped, oldest first; after a model change with a
    /// shorter ring, the oldest entry repeated in front.
    /// </summary>
    private float[] WindowInputs(ModelDescriptor model)
    {
        var inputs = new float[model.Window];
        for (var i = 0; i < inputs.Length; i++)
        {
            inputs[i] = Normalise(_ring!.ValueAt(Math.Min(inputs.Length - 1 - i, _ring.Count - 1)), model);
        }

        return inputs;
    }

    /// <summary>
    /// Scores the reading against its forecasts and steps the model; returns the reading's anomaly score
    /// (NaN when the gap was longer than the horizon).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<double> StepAsync(
        SensorReading reading, ModelDescriptor model, IForecaster forecaster, StreamOutput output, CancellationToken cancellationToken)
    {
        var modelSigma = model.ResidualStd[0];
        var ratio = _residuals.Sigma(modelSigma, options) / modelSigma;
        var steps = StepsSinceLast(reading.Timestamp);
        var z = _scaler.Normalise(reading.Value);
        var score = double.NaN;
        var drifted = Drifted(z);
        var (near, far) = (double.NaN, double.NaN);
        if (steps == 1 && _steps is not null)
        {
            // Against the sensor's own band at each step, as the predictions draw it.
            var bandRatio = _residuals.IntervalSigma(modelSigma, options) / modelSigma;
            near = _steps.Surprise(z, 0, model.ResidualStd, bandRatio, options);
            far = _steps.Surprise(z, model.Horizon - 1, model.ResidualStd, bandRatio, options);
            _steps.Observe(z, model.ResidualStd, ratio, options);
        }
        else
        {
            _steps?.Forget();
        }

        if (steps <= model.Horizon)
        {
            var expected = _forecast[steps - 1];
            var sigma = model.ResidualStd[steps - 1] * ratio;
            var residual = z - expected;
            var surprise = Math.Abs(residual) / sigma;
            if (steps == 1)
            {
                _residuals.Observe(residual, sigma, options);
                output.Tally(Math.Abs(residual), Math.Abs(residual) <= model.IntervalZ * sigma);
            }

            // Without per-step scales (a long horizon) the one-step surprise stands in for the near one.
            var anomaly = _scorer.Observe(
                new ScorerInput(reading.Timestamp, reading.Value, _interval, _steps is null ? surprise : near, far, model.IntervalZ),
                options);
            score = anomaly.Value;
            var half = model.IntervalZ * sigma;
            var band = new ExpectedBand(_scaler.Denormalise(expected), _scaler.Denormalise(expected - half), _scaler.Denormalise(expected + half));
            _alarms.Observe(reading, anomaly, surprise, band, model.Id, options, output);

            if (surprise >= options.ClampScore && _clamped < options.ClampReadings)
            {
                z = expected + (Math.Sign(residual) * options.ClampScore * sigma);
                _clamped++;
            }
            else if (surprise < options.CloseScore)
            {
                _clamped = 0;
            }
        }
        else
        {
            _scorer.Learn(reading.Timestamp, reading.Value, _interval, options);
        }

        // A gap of a few steps is filled with the model's own forecast, so it keeps its rhythm.
        var filled = Math.Min(steps, model.Horizon) - 1;
        if (model.Signature == ModelSignature.Window)
        {
            for (var i = 0; i < filled; i++)
            {
                _ring!.Add(LastApplied!.Value + ((i + 1) * _interval), _scaler.Denormalise(_forecast[i]));
            }

            _ring!.Add(reading.Timestamp, _scaler.Denormalise(z));
            if (drifted)
            {
                await RefitAsync(model, forecaster, cancellationToken);
                return score;
            }

            await forecaster.StepAsync(WindowInputs(model), _state, _forecast, cancellationToken);
            return score;
        }

        if (drifted)
        {
            await RefitAsync(model, forecaster, cancellationToken);
            return score;
        }

        var inputs = new float[filled + 1];
        for (var i = 0; i < filled; i++)
        {
            inputs[i] = _forecast[i];
        }

        inputs[^1] = Clip(z, model);
        await forecaster.StepAsync(inputs, _state, _forecast, cancellationToken);
        return score;
    }

    /// <summary>Counts a reading towards drift; true once the run is long enough to refit.</summary>
    private bool Drifted(double z)
    {
        _driftRun = Math.Abs(z) > options.DriftScore ? _driftRun + 1 : 0;
        return options.DriftReadings > 0 && _driftRun >= options.DriftReadings;
    }

    /// <summary>
    /// Refits the scaler on the ring buffer and re-warms the model from it (the same priming a model
    /// change gets).
    /// </summary>
    private async ValueTask RefitAsync(ModelDescriptor model, IForecaster forecaster, CancellationToken cancellationToken)
    {
        var old = _scaler;
        _scaler = Scaler.Fitted(_ring!.Values(), model.MinScale, model.RelativeMinScale);
        // Residuals are kept in normalised units, so they follow the new scale.
        _residuals.Rescale(old.Scale / _scaler.Scale);
        _steps?.Rescale(old.Scale / _scaler.Scale);
        _driftRun = 0;
        Refits++;
        LogRefit(_logger, sensorId, old.Mean, old.Scale, _scaler.Mean, _scaler.Scale, _ring.Count);
        await PrimeAsync(model, forecaster, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Sensor {SensorId}: level drifted from the scaler (mean {OldMean:G6}, scale {OldScale:G6}); refitted on {Readings} buffered readings (mean {NewMean:G6}, scale {NewScale:G6}) and re-warmed the model")]
    private static partial void LogRefit(ILogger logger, string sensorId, double oldMean, double oldScale, double newMean, double newScale, int readings);

    private int StepsSinceLast(DateTimeOffset timestamp)
    {
        var steps = (timestamp - LastApplied!.Value) / _interval;
        return steps < 1.5 ? 1 : (int)Math.Min(Math.Round(steps), int.MaxValue);
    }

    private Prediction Predict(SensorReading reading, ModelDescriptor model)
    {
        var ratio = _residuals.IntervalSigma(model.ResidualStd[0], options) / model.ResidualStd[0];
        var steps = new ForecastStep[model.Horizon];
        for (var i = 0; i < steps.Length; i++)
        {
            // The sensor's own scale at this step once it has one; until then the model's, scaled.
            var half = model.IntervalZ * (_steps?.Sigma(i, options) ?? (model.ResidualStd[i] * ratio));
            steps[i] = new ForecastStep(
                i + 1,
                reading.Timestamp + ((i + 1) * _interval),
                _scaler.Denormalise(_forecast[i]),
                _scaler.Denormalise(_forecast[i] - half),
                _scaler.Denormalise(_forecast[i] + half));
        }

        return new Prediction(sensorId, model.Id, reading.Timestamp, steps, Stage);
    }

    /// <summary>Before warm-up ends: the last value, with a band from the readings' spread so far.</summary>
    private Prediction RepeatLast(SensorReading reading, ModelDescriptor model)
    {
        var interval = LastApplied is { } last && reading.Timestamp > last ? reading.Timestamp - last : model.SamplingInterval;
        var steps = new ForecastStep[model.Horizon];
        for (var i = 0; i < steps.Length; i++)
        {
            var half = model.IntervalZ * _scaler.StandardDeviation * Math.Sqrt(i + 1);
            steps[i] = new ForecastStep(i + 1, reading.Timestamp + ((i + 1) * interval), reading.Value, reading.Value - half, reading.Value + half);
        }

        return new Prediction(sensorId, WarmupModelId, reading.Timestamp, steps, Stage);
    }

    private float Normalise(double value, ModelDescriptor model) => Clip(_scaler.Normalise(value), model);

    private static float Clip(double z, ModelDescriptor model) => (float)Math.Clamp(z, -model.Clip, model.Clip);

    private void Commit(SensorReading reading)
    {
        LastApplied = reading.Timestamp;
        Applied++;
    }
}
