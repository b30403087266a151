using System.Numerics;
using Forecast.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace Forecast.Inference.Onnx;

/// <summary>
/// Reusable input and output buffers for one batched model call: fill each row, <see cref="Run"/>,
/// read each row back. One runner per concurrent caller; the session itself is shared. A window
/// model has no state: its state buffers are empty and only <c>x</c> and <c>yhat</c> are bound.
/// </summary>
internal sealed class StepRunner(OnnxModel model, int maxBatch, int maxTime) : IDisposable
{
    private readonly RunOptions _runOptions = new();
    private readonly int _features = model.Descriptor.Features;
    private readonly int _layers = model.Descriptor.Layers;
    private readonly int _hidden = model.Descriptor.Hidden;
    private readonly int _horizon = model.Descriptor.Horizon;
    private readonly bool _stateful = model.Descriptor.Signature == ModelSignature.StatefulStep;
    // Pinned for the runner's life, so a binding's tensors can wrap them once and be reused.
    private float[] _x = Buffer(maxBatch * maxTime * model.Descriptor.Features);
    private readonly float[] _h = Buffer(maxBatch * model.Descriptor.Layers * model.Descriptor.Hidden);
    private readonly float[] _c = Buffer(maxBatch * model.Descriptor.Layers * model.Descriptor.Hidden);
    private readonly float[] _yhat = Buffer(maxBatch * model.Descriptor.Horizon);
    private readonly float[] _hn = Buffer(maxBatch * model.Descriptor.Layers * model.Descriptor.Hidden);
    private readonly float[] _cn = Buffer(maxBatch * model.Descriptor.Layers * model.Descriptor.Hidden);

    // On the CPU, one binding per batch size of one-step calls: a call then hands ONNX Runtime no new
    // objects (a fresh set of tensors and name arrays was about 4 KB of garbage a call). Not on CUDA,
    // where a bound CPU input is copied to the device once, when bound, and later values would be missed.
    private readonly Dictionary<int, Binding>? _bindings = model.OnCpu ? [] : null;

    public int Batch { get; private set; }

    public int Time { get; private set; }

    public int MaxBatch => maxBatch;

    /// <summary>Sets the shape of the next call; grows the input buffer for long (warm-up) sequences.</summary>
    public void Prepare(int batch, int time)
    {
        if (batch < 1 || batch > maxBatch || time < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), $"A call holds 1 to {maxBatch} rows of at least one step; got {batch} x {time}.");
        }

        if (batch * time * _features > _x.Length)
        {
            _x = Buffer(maxBatch * time * _features);
            DisposeBindings(); // they wrap the old input buffer
        }

        Batch = batch;
        Time = time;
    }

    /// <summary>Row <paramref name="row"/> of the input, <c>time x features</c>.</summary>
    public Span<float> Inputs(int row) => _x.AsSpan(row * Time * _features, Time * _features);

    /// <summary>Copies a state (hidden then cell, each <c>layers x hidden</c>) into row <paramref name="row"/>.</summary>
    public void SetState(int row, ReadOnlySpan<float> state)
    {
        var half = _layers * _hidden;
        for (var layer = 0; layer < _layers; layer++)
        {
            state.Slice(layer * _hidden, _hidden).CopyTo(_h.AsSpan(Offset(layer, row), _hidden));
            state.Slice(half + (layer * _hidden), _hidden).CopyTo(_c.AsSpan(Offset(layer, row), _hidden));
        }
    }

    public void Run()
    {
        if (_bindings is null || Time != 1)
        {
            using var tensors = new Tensors(this);
            model.Session.Run(_runOptions, model.InputNames, tensors.Inputs, model.OutputNames, tensors.Outputs);
            return;
        }

        if (!_bindings.TryGetValue(Batch, out var binding))
        {
            binding = new Binding(model, new Tensors(this));
            _bindings[Batch] = binding;
        }

        model.Session.RunWithBinding(_runOptions, binding.Io);
    }

    /// <summary>Whether every output of row <paramref name="row"/> is finite.</summary>
    public bool IsFinite(int row)
    {
        if (!AllFinite(_yhat.AsSpan(row * _horizon, _horizon)))
        {
            return false;
        }

        for (var layer = 0; layer < _layers; layer++)
        {
            if (!AllFinite(_hn.AsSpan(Offset(layer, row), _hidden)) || !AllFinite(_cn.AsSpan(Offset(layer, row), _hidden)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Copies row <paramref name="row"/>'s new state and forecast out.</summary>
    public void CopyOutputs(int row, Span<float> state, Span<float> forecast)
    {
        var half = _layers * _hidden;
        for (var layer = 0; layer < _layers; layer++)
        {
            _hn.AsSpan(Offset(layer, row), _hidden).CopyTo(state.Slice(layer * _hidden, _hidden));
            _cn.AsSpan(Offset(layer, row), _hidden).CopyTo(state.Slice(half + (layer * _hidden), _hidden));
        }

        _yhat.AsSpan(row * _horizon, _horizon).CopyTo(forecast);
    }

    public void Dispose()
    {
        DisposeBindings();
        _runOptions.Dispose();
    }

    private void DisposeBindings()
    {
        if (_bindings is null)
        {
            return;
        }

        foreach (var binding in _bindings.Values)
        {
            binding.Dispose();
        }

        _bindings.Clear();
    }

    private static float[] Buffer(int length) => GC.AllocateArray<float>(length, pinned: true);

    private int Offset(int layer, int row) => ((layer * Batch) + row) * _hidden;

    internal static bool AllFinite(ReadOnlySpan<float> values)
    {
        // x - x is 0 for every finite x and NaN for NaN and the infinities: a vector at a time.
        var i = 0;
        for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var v = new Vector<float>(values[i..]);
            if (!Vector.EqualsAll(v - v, Vector<float>.Zero))
            {
                return false;
            }
        }

        for (; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The call's tensors over this runner's buffers, shaped for its current batch and time.</summary>
    private sealed class Tensors : IDisposable
    {
        public Tensors(StepRunner runner)
        {
            var info = OrtMemoryInfo.DefaultInstance;
            long[] stateShape = [runner._layers, runner.Batch, runner._hidden];
            var stateLength = runner._layers * runner.Batch * runner._hidden;
            var x = OrtValue.CreateTensorValueFromMemory(info, runner._x.AsMemory(0, runner.Batch * runner.Time * runner._features), [runner.Batch, runner.Time, runner._features]);
            var yhat = OrtValue.CreateTensorValueFromMemory(info, runner._yhat.AsMemory(0, runner.Batch * runner._horizon), [runner.Batch, runner._horizon]);
            if (!runner._stateful)
            {
                (Inputs, Outputs) = ([x], [yhat]);
                return;
            }

            Inputs =
            [
                x,
                OrtValue.CreateTensorValueFromMemory(info, runner._h.AsMemory(0, stateLength), stateShape),
                OrtValue.CreateTensorValueFromMemory(info, runner._c.AsMemory(0, stateLength), stateShape),
            ];
            Outputs =
            [
                yhat,
                OrtValue.CreateTensorValueFromMemory(info, runner._hn.AsMemory(0, stateLength), stateShape),
                OrtValue.CreateTensorValueFromMemory(info, runner._cn.AsMemory(0, stateLength), stateShape),
            ];
        }

        public OrtValue[] Inputs { get; }

        public OrtValue[] Outputs { get; }

        public void Dispose()
        {
            foreach (var value in Inputs)
            {
                value.Dispose();
            }

            foreach (var value in Outputs)
            {
                value.Dispose();
            }
        }
    }

    /// <summary>A batch size's tensors bound to the session once, for calls that pass nothing new.</summary>
    private sealed class Binding : IDisposable
    {
        private readonly Tensors _tensors;

        public Binding(OnnxModel model, Tensors tensors)
        {
            _tensors = tensors;
            Io = model.Session.CreateIoBinding();
            for (var i = 0; i < tensors.Inputs.Length; i++)
            {
                Io.BindInput(model.InputNames[i], tensors.Inputs[i]);
            }

            for (var i = 0; i < tensors.Outputs.Length; i++)
            {
                Io.BindOutput(model.OutputNames[i], tensors.Outputs[i]);
            }
        }

        public OrtIoBinding Io { get; }

        public void Dispose()
        {
            Io.Dispose();
            _tensors.Dispose();
        }
    }
}
