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
    private float[] _x = new float[maxBatch * maxTime * model.Descriptor.Features];
    private readonly float[] _h = new float[maxBatch * model.Descriptor.Layers * model.Descriptor.Hidden];
    private readonly float[] _c = new float[maxBatch * model.Descriptor.Layers * model.Descriptor.Hidden];
    private readonly float[] _yhat = new float[maxBatch * model.Descriptor.Horizon];
    private readonly float[] _hn = new float[maxBatch * model.Descriptor.Layers * model.Descriptor.Hidden];
    private readonly float[] _cn = new float[maxBatch * model.Descriptor.Layers * model.Descriptor.Hidden];

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
            _x = new float[maxBatch * time * _features];
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
        var stateShape = new long[] { _layers, Batch, _hidden };
        var stateLength = _layers * Batch * _hidden;
        var info = OrtMemoryInfo.DefaultInstance;
        using var x = OrtValue.CreateTensorValueFromMemory(info, _x.AsMemory(0, Batch * Time * _features), [Batch, Time, _features]);
        using var h = OrtValue.CreateTensorValueFromMemory(info, _h.AsMemory(0, stateLength), stateShape);
        using var c = OrtValue.CreateTensorValueFromMemory(info, _c.AsMemory(0, stateLength), stateShape);
        using var yhat = OrtValue.CreateTensorValueFromMemory(info, _yhat.AsMemory(0, Batch * _horizon), [Batch, _horizon]);
        if (!_stateful)
        {
            model.Session.Run(_runOptions, model.InputNames, [x], model.OutputNames, [yhat]);
            return;
        }

        using var hn = OrtValue.CreateTensorValueFromMemory(info, _hn.AsMemory(0, stateLength), stateShape);
        using var cn = OrtValue.CreateTensorValueFromMemory(info, _cn.AsMemory(0, stateLength), stateShape);
        model.Session.Run(_runOptions, model.InputNames, [x, h, c], model.OutputNames, [yhat, hn, cn]);
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

    public void Dispose() => _runOptions.Dispose();

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
}
