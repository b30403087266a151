#!/usr/bin/python3
"""Train the bundled default LSTM forecaster and export it as a stateful-step ONNX model.

Full run (about 3-4 minutes on one CPU core), writes model.onnx, manifest.json
and golden.json into --out:

    /usr/bin/python3 onnx/train_default.py --out onnx/models/default

Smoke run (seconds; never write it over the bundled model):

    /usr/bin/python3 onnx/train_default.py --quick --out /tmp/forecast-quick

Use /usr/bin/python3: Debian's python3-torch and python3-onnx live there, and
the ``python3`` on PATH may be another interpreter without them.

The contract the serving side relies on (see onnx/README.md):
  * normalisation: per series, mean and population std of its first 48
    samples; scale = max(std, 1e-3*|mean|, 1e-6); z = clip((v-mean)/scale, -10, 10)
  * ONNX inputs  x[batch,time,1], h0[1,batch,hidden], c0[1,batch,hidden] (float32; hidden 64)
  * ONNX outputs yhat[batch,12] (from the LAST time step), hn, cn
  * yhat[:, k] is the forecast of z at t+1+k, where t is the last input step.
"""

import sys

from workshop import StatefulLstm, fmt, gradient_step, seed_everything, write_json  # first: exits 2 with advice when torch or onnx is missing

import numpy as np
import onnx
import torch
import torch.nn as nn

import argparse
import math
import os
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simulate  # noqa: E402  (same folder; imported after the path fix)
import verify_onnx  # noqa: E402

# ---- contract constants (mirrored in the manifest and the C# serving side) ----
WARMUP = 48            # samples used for the per-series scaler and the warm-up call
HORIZON = 12           # yhat[:, k] forecasts t+1+k
HIDDEN = 64            # --hidden overrides it (the quick run uses 8)
LAYERS = 1
WINDOW = 64            # serving-side ring buffer length for re-warming
CLIP = 10.0
MIN_SCALE = 1e-6
REL_MIN_SCALE = 1e-3
OPSET = 14
Z90 = 1.6449           # two-sided 90% normal quantile
BURN_IN = 4            # first steps of each sequence left out of the training loss
# The serving side refits the scaler (and re-warms the state) once this many readings in a row lie
# beyond DRIFT_SCORE scales (AnomalyOptions.DriftScore/DriftReadings); forecasts made after that
# point never meet the old scaling, so training leaves them out of the loss.
DRIFT_SCORE = 4.0
NOISE_FLOOR = 0.02     # variance floor of the per-series loss weights (normalised units)
DRIFT_READINGS = 12


def parse_args(argv):
    """Command line: output folder, seed, sizes; --quick shrinks everything."""
    ap = argparse.ArgumentParser(description="Train and export the default LSTM forecaster.")
    ap.add_argument("--out", required=True, help="output folder (model.onnx, manifest.json, golden.json)")
    ap.add_argument("--quick", action="store_true", help="seconds-long smoke run; refuses onnx/models/default")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--train-series", type=int, default=1500)
    ap.add_argument("--val-series", type=int, default=300)
    ap.add_argument("--length", type=int, default=1000, help="samples per simulated series")
    ap.add_argument("--crop", type=int, default=528, help="training crop length (inputs + horizon)")
    ap.add_argument("--chunk", type=int, default=48, help="truncated-BPTT chunk length")
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--epochs", type=int, default=32)
    ap.add_argument("--patience", type=int, default=10)
    ap.add_argument("--lr", type=float, default=5e-3)
    ap.add_argument("--hidden", type=int, default=HIDDEN, help="LSTM hidden size")
    ap.add_argument("--time-budget", type=float, default=900.0,
                    help="safety stop for training (seconds); the defaults finish well before it")
    args = ap.parse_args(argv)
    if args.quick:
        if os.path.abspath(args.out) == os.path.abspath(default_out_dir()):
            ap.error("--quick must not overwrite the bundled model; pass another --out")
        args.train_series, args.val_series, args.length = 60, 20, 300
        args.crop, args.epochs, args.patience = 200, 2, 2
    return args


def default_out_dir():
    """Folder of the bundled model, relative to this script."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "models", "default")


# ---------------------------------------------------------------- data ----

def normalise(values):
    """Per-series z-score from the first WARMUP samples, exactly as served.

    values: float64 [n_series, n]. Statistics in float64, result cast to float32
    after clipping (the C# side does the same arithmetic in double).
    """
    head = values[:, :WARMUP]
    mean = head.mean(axis=1, keepdims=True)
    std = head.std(axis=1, keepdims=True)          # population std (ddof=0)
    scale = np.maximum(np.maximum(std, REL_MIN_SCALE * np.abs(mean)), MIN_SCALE)
    z = np.clip((values - mean) / scale, -CLIP, CLIP)
    return z.astype(np.float32)


def valid_origins(values):
    """Which forecast origins the serving side makes under the warm-up scaler: all of them up to the
    reading that completes a run of DRIFT_READINGS readings beyond DRIFT_SCORE scales (counted after
    the warm-up), where the scaler is refitted. values: float64 [n_series, n] -> bool [n_series, n].
    """
    head = values[:, :WARMUP]
    mean = head.mean(axis=1, keepdims=True)
    scale = np.maximum(np.maximum(head.std(axis=1, keepdims=True), REL_MIN_SCALE * np.abs(mean)), MIN_SCALE)
    beyond = np.abs((values - mean) / scale) > DRIFT_SCORE
    valid = np.ones(values.shape, dtype=bool)
    run = np.zeros(values.shape[0], dtype=np.int64)
    refitted = np.zeros(values.shape[0], dtype=bool)
    for t in range(WARMUP, values.shape[1]):
        run = np.where(beyond[:, t], run + 1, 0)
        refitted |= run >= DRIFT_READINGS
        valid[:, t] = ~refitted
    return valid


def split_seeds(seed, n_train, n_val):
    """Disjoint simulator seeds for training and validation series."""
    base = (seed % 100_000) * 1_000_000
    train = np.arange(base, base + n_train)
    val = np.arange(base + 500_000, base + 500_000 + n_val)
    assert n_train <= 500_000 and not set(train) & set(val)
    return train, val


def targets(z):
    """Inputs and H-step targets of a normalised batch.

    z: float32 [B, L]. Returns x [B, L-H, 1] and y [B, L-H, H] where
    y[:, t, k] = z[:, t+1+k] (the forecast made after seeing step t).
    """
    x = z[:, :-HORIZON, None]
    y = np.lib.stride_tricks.sliding_window_view(z[:, 1:], HORIZON, axis=1)
    return np.ascontiguousarray(x), np.ascontiguousarray(y)


def noise_std(seeds, length):
    """Standard deviation of each series' AR(1) noise in value units (from its simulator parameters)."""
    return np.array([p["sigma"] / math.sqrt(1.0 - p["ar"] ** 2)
                     for p in (simulate.simulate_series(int(seed), length)[1] for seed in seeds)])


def noise_weights(values, noise):
    """Per-crop loss weights: the inverse of the noise variance in the crop's warm-up units (floored),
    scaled to mean 1. Plain MSE is dominated by the noisiest series; weighting by the noise no
    forecast can remove makes clean series (where the seasonal naive forecast is nearly exact) count
    as much as noisy ones.
    """
    head = values[:, :WARMUP]
    scale = np.maximum(np.maximum(head.std(axis=1), REL_MIN_SCALE * np.abs(head.mean(axis=1))), MIN_SCALE)
    weights = 1.0 / ((noise / scale) ** 2 + NOISE_FLOOR)
    return (weights / weights.mean()).astype(np.float32)


def random_crops(raw, noise, crop, rng):
    """One random crop per series, each normalised from its own first WARMUP samples.

    Cropping at random offsets shows the model scalers taken at every phase and
    trend level, just as sensors that start at arbitrary times do at serving.
    """
    n = raw.shape[1]
    starts = rng.integers(0, n - crop + 1, size=raw.shape[0])
    idx = starts[:, None] + np.arange(crop)[None, :]
    values = np.take_along_axis(raw, idx, axis=1)
    return normalise(values), valid_origins(values), noise_weights(values, noise)


# ------------------------------------------------------------ training ----

def train_epoch(model, opt, raw, noise, args, rng):
    """One pass over random crops with truncated BPTT; returns mean train loss."""
    model.train()
    z, valid, weights = random_crops(raw, noise, args.crop, rng)
    x_all, y_all = targets(z)
    w_all = valid[:, :-HORIZON, None].astype(np.float32) * weights[:, None, None]
    order = rng.permutation(len(z))
    total, count = 0.0, 0
    for b in range(0, len(order), args.batch):
        rows = order[b:b + args.batch]
        x = torch.from_numpy(x_all[rows])
        y = torch.from_numpy(y_all[rows])
        w = torch.from_numpy(w_all[rows])
        state = None
        for t0 in range(0, x.shape[1], args.chunk):
            # Only the first chunk holds the burn-in steps left out of the loss.
            skip = max(0, BURN_IN - t0)
            yhat, state = model.sequence(x[:, t0:t0 + args.chunk], state)
            weight = w[:, t0 + skip:t0 + args.chunk]
            if float(weight.sum()) == 0:
                state = tuple(s.detach() for s in state)
                continue
            squared = (yhat[:, skip:] - y[:, t0 + skip:t0 + args.chunk]) ** 2
            loss = (squared * weight).sum() / (float((weight > 0).sum()) * HORIZON)
            total += gradient_step(model, opt, loss)
            # Carry the state forward but cut the graph (truncated BPTT).
            state = tuple(s.detach() for s in state)
            count += 1
    return total / max(count, 1)


@torch.no_grad()
def predict_validation(model, z, valid):
    """Forecasts and targets after warm-up, as served.

    Serving feeds samples 0..WARMUP-1 in one call and uses the yhat of the last
    of them first, so scored forecasts start at step t = WARMUP-1.
    Returns yhat, y, last (repeat-last baseline), each [N, H] flattened over series and steps.
    """
    model.eval()
    x, y = targets(z)
    yhat, _ = model.sequence(torch.from_numpy(x))
    start = WARMUP - 1
    keep = valid[:, start:-HORIZON].reshape(-1)
    yhat = yhat[:, start:].numpy().reshape(-1, HORIZON).astype(np.float64)[keep]
    y = y[:, start:].reshape(-1, HORIZON).astype(np.float64)[keep]
    last = np.repeat(x[:, start:, 0].reshape(-1, 1).astype(np.float64), HORIZON, axis=1)[keep]
    return yhat, y, last


def validation_metrics(model, z, valid):
    """Per-horizon MSE/MAE of model and repeat-last, residual std and 90% coverage."""
    yhat, y, last = predict_validation(model, z, valid)
    res = y - yhat
    residual_std = np.sqrt((res ** 2).mean(axis=0))   # RMS: residual mean is ~0
    coverage = (np.abs(res) <= Z90 * residual_std).mean(axis=0)
    return {
        "mse": (res ** 2).mean(axis=0),
        "mae": np.abs(res).mean(axis=0),
        "repeatLastMse": ((y - last) ** 2).mean(axis=0),
        "repeatLastMae": np.abs(y - last).mean(axis=0),
        "coverage": coverage,
        "residualStd": residual_std,
    }


def fit(model, raw_train, noise_train, z_val, valid_val, args):
    """Adam with cosine decay, early stopping on validation MSE; returns (best state, epochs run)."""
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs, eta_min=args.lr * 0.05)
    rng = np.random.default_rng(args.seed)
    best, best_loss, stale, started = None, math.inf, 0, time.monotonic()
    epoch = 0
    for epoch in range(1, args.epochs + 1):
        train_loss = train_epoch(model, opt, raw_train, noise_train, args, rng)
        sched.step()
        val_loss = float(validation_metrics(model, z_val, valid_val)["mse"].mean())
        elapsed = time.monotonic() - started
        print(f"epoch {epoch:3d}  train {train_loss:.5f}  val {val_loss:.5f}  {elapsed:6.1f}s", flush=True)
        if val_loss < best_loss:
            best_loss, stale = val_loss, 0
            best = {k: v.clone() for k, v in model.state_dict().items()}
        else:
            stale += 1
        if stale >= args.patience:
            print("early stop: no validation improvement", flush=True)
            break
        if elapsed > args.time_budget:
            print("stop: time budget reached", flush=True)
            break
    return best, epoch


# -------------------------------------------------------------- export ----

def export_onnx(model, path):
    """Export the stateful-step signature with dynamic batch and time."""
    model.eval()
    x = torch.zeros(2, 5, 1)
    h0 = torch.zeros(LAYERS, 2, HIDDEN)
    c0 = torch.zeros(LAYERS, 2, HIDDEN)
    # Both warnings are harmless here: h0/c0 are graph inputs (what the LSTM warning
    # asks for) and the Constant nodes only hold axes/indices.
    warnings.filterwarnings("ignore", message=".*batch_size other than 1.*")
    warnings.filterwarnings("ignore", message=".*shape inference of prim::Constant.*")
    torch.onnx.export(
        model, (x, h0, c0), path,
        input_names=["x", "h0", "c0"],
        output_names=["yhat", "hn", "cn"],
        dynamic_axes={"x": {0: "batch", 1: "time"}, "h0": {1: "batch"}, "c0": {1: "batch"},
                      "yhat": {0: "batch"}, "hn": {1: "batch"}, "cn": {1: "batch"}},
        opset_version=OPSET, do_constant_folding=True)


def check_onnx(path):
    """onnx.checker, tensor names, a single LSTM node, opset and size limits."""
    m = onnx.load(path)
    onnx.checker.check_model(m)
    ops = [n.op_type for n in m.graph.node]
    assert ops.count("LSTM") == 1, f"expected one LSTM node, got {ops}"
    assert [i.name for i in m.graph.input] == ["x", "h0", "c0"], m.graph.input
    assert [o.name for o in m.graph.output] == ["yhat", "hn", "cn"], m.graph.output
    assert any(o.version == OPSET for o in m.opset_import if o.domain in ("", "ai.onnx"))
    size = os.path.getsize(path)
    assert size < 4 * 1024 * 1024, size
    print(f"onnx ok: {size} bytes, nodes {ops}")
    return m


# -------------------------------------------------------------- golden ----

@torch.no_grad()
def golden_case(model, x, h0, c0):
    """Run the PyTorch model (float32, eval) and record inputs and outputs."""
    model.eval()
    yhat, hn, cn = model(torch.from_numpy(x), torch.from_numpy(h0), torch.from_numpy(c0))
    case = {}
    for name, arr in (("x", x), ("h0", h0), ("c0", c0), ("yhat", yhat.numpy()),
                      ("hn", hn.numpy()), ("cn", cn.numpy())):
        case[name] = fmt(arr)
        case[name + "Shape"] = list(arr.shape)
    return case


def golden_cases(model, z_val, seed):
    """Three cases: random batch 3 x time 5, a real warm-up (1 x 48), and 4 single steps."""
    rng = np.random.default_rng(seed + 1)
    f32 = np.float32
    small = lambda *s: (0.1 * rng.standard_normal(s)).astype(f32)  # noqa: E731
    zeros = lambda b: np.zeros((LAYERS, b, HIDDEN), f32)           # noqa: E731
    return [
        golden_case(model, rng.standard_normal((3, 5, 1)).astype(f32),
                    small(LAYERS, 3, HIDDEN), small(LAYERS, 3, HIDDEN)),
        golden_case(model, z_val[:1, :WARMUP, None].copy(), zeros(1), zeros(1)),
        golden_case(model, rng.standard_normal((4, 1, 1)).astype(f32),
                    small(LAYERS, 4, HIDDEN), small(LAYERS, 4, HIDDEN)),
    ]


# ------------------------------------------------------------ manifest ----

def manifest(args, metrics, epochs):
    """The manifest.json contents (keys fixed by the model contract)."""
    lst = lambda a: [float(f"{v:.6g}") for v in a]  # noqa: E731
    return {
        "name": "lstm-default", "version": "2", "signature": "stateful-step",
        "inputs": {"x": "x", "h0": "h0", "c0": "c0"},
        "outputs": {"yhat": "yhat", "hn": "hn", "cn": "cn"},
        "features": ["value"], "layers": LAYERS, "hidden": HIDDEN, "horizon": HORIZON,
        "window": WINDOW, "samplingInterval": "PT1M", "opset": OPSET,
        "normalisation": {"method": "per-sensor-zscore", "warmup": WARMUP, "minScale": MIN_SCALE,
                          "relativeMinScale": REL_MIN_SCALE, "clip": CLIP},
        "interval": {"method": "calibrated-residual", "level": 0.9, "z": Z90,
                     "residualStd": lst(metrics["residualStd"])},
        "training": {
            "data": (f"onnx/simulate.py synthetic sensors (level + two seasonal harmonics, period "
                     f"24-144 samples, linear trend, AR(1) noise, no anomalies); {args.train_series} "
                     f"training series and {args.val_series} disjoint validation series of "
                     f"{args.length} samples; random training crops of {args.crop} samples, each "
                     f"normalised from its own first {WARMUP}; metrics in normalised units from "
                     f"step {WARMUP - 1} (end of warm-up) on"),
            "series": args.train_series, "samples": args.length, "seed": args.seed,
            "epochs": epochs, "script": "onnx/train_default.py",
        },
        "metrics": {"validation": {k: lst(metrics[k]) for k in
                                   ("mse", "mae", "repeatLastMse", "repeatLastMae", "coverage")}},
        "golden": "golden.json",
    }


def print_table(m):
    """Per-horizon validation table: model vs repeat-last."""
    print("h   mse      repeatLastMse  mae      repeatLastMae  coverage  residualStd")
    for k in range(HORIZON):
        print(f"{k + 1:<3d} {m['mse'][k]:.5f}  {m['repeatLastMse'][k]:.5f}        "
              f"{m['mae'][k]:.5f}  {m['repeatLastMae'][k]:.5f}        "
              f"{m['coverage'][k]:.4f}    {m['residualStd'][k]:.5f}")


def main(argv=None):
    """Simulate, train, evaluate, export, check, and write the model folder."""
    global HIDDEN
    args = parse_args(argv)
    HIDDEN = args.hidden
    seed_everything(args.seed)
    started = time.monotonic()
    train_seeds, val_seeds = split_seeds(args.seed, args.train_series, args.val_series)
    raw_train = simulate.simulate_many(train_seeds, args.length)
    raw_val = simulate.simulate_many(val_seeds, args.length)
    z_val, valid_val = normalise(raw_val), valid_origins(raw_val)
    print(f"simulated {len(train_seeds)}+{len(val_seeds)} series in {time.monotonic() - started:.1f}s")

    model = StatefulLstm(LAYERS, HIDDEN, HORIZON)
    best, epochs = fit(model, raw_train, noise_std(train_seeds, args.length), z_val, valid_val, args)
    model.load_state_dict(best)
    metrics = validation_metrics(model, z_val, valid_val)
    print_table(metrics)
    worse = [k + 1 for k in range(HORIZON) if metrics["mse"][k] >= metrics["repeatLastMse"][k]]
    if worse and not args.quick:
        print(f"error: model does not beat repeat-last at horizons {worse}", file=sys.stderr)
        return 1

    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "model.onnx")
    export_onnx(model, path)
    check_onnx(path)
    write_json(os.path.join(args.out, "golden.json"), {"cases": golden_cases(model, z_val, args.seed)})
    write_json(os.path.join(args.out, "manifest.json"), manifest(args, metrics, epochs))
    print(f"wrote {args.out} in {time.monotonic() - started:.1f}s")
    # Run the exported graph itself (numpy interpreter) against the golden vectors,
    # since ONNX Runtime is not available to Python here.
    return verify_onnx.main([args.out])


if __name__ == "__main__":
    sys.exit(main())
