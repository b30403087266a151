#!/usr/bin/python3
"""Train a forecaster on CSV series and export it as a served ONNX model folder.

    /usr/bin/python3 onnx/train.py --data series.csv --time-column timestamp --value-column value \\
        --arch lstm --horizon 12 --out /tmp/my-model

writes model.onnx, manifest.json and golden.json (the model contract in onnx/README.md);
check the folder with ``forecast models validate /tmp/my-model``.

Architectures and the signature they are exported with:
  * ``lstm``   stateful step (x, h0, c0 -> yhat, hn, cn); ``--signature window`` exports it as a
               window model instead (zero state at every call)
  * ``gru``    window (x[batch, window, 1] -> yhat[batch, horizon])
  * ``linear`` window, DLinear-style: the look-back minus its last value is split into a moving-average
               trend and a remainder, each mapped to the horizon by one linear layer, last value added back

Data: one value column per CSV file (several ``--data`` files train one model on several series),
rows in time order, split chronologically per series into train / validation / test
(``--split 0.7,0.1,0.2`` fractions or ``--split-rows 8640,2880,2880`` row counts). Each series is
normalised the way the serving scaler does it: mean and population std of its first ``--warmup``
samples (default: the whole training split), floors ``max(std, 1e-3*|mean|, 1e-6)``, clipped to +-10.

Intervals: ``calibrated-residual``. For each horizon step the ``--level`` quantile of the absolute
validation residual is stored as ``residualStd = q / z`` so that ``yhat +- z * residualStd`` covers
``level`` of the validation residuals (split-conformal calibration, no normality assumed).

Training: Adam, gradient clipping 1.0, early stopping on validation MSE (``--patience``), truncated
BPTT (``--chunk`` steps, state carried and detached) for the stateful LSTM; GRU/LSTM window models train
on random sensor-like crops with a drift mask, noise weights and cosine decay (``train_window_crops``);
seeded python/numpy/torch
and one thread, so a run is reproducible. ``--quick`` shrinks everything to a seconds-long smoke run.

Exit status: 0 ok, 1 bad input or failed checks, 2 torch/onnx missing. Use /usr/bin/python3
(Debian's python3-torch and python3-onnx live there).
"""

import sys

from workshop import StatefulLstm, fmt, gradient_step, seed_everything, write_json  # first: exits 2 with advice when torch or onnx is missing

import numpy as np
import onnx
import torch
import torch.nn as nn

import argparse
import csv
import math
import os
import time
import warnings

OPSET = 14
CLIP = 10.0
MIN_SCALE = 1e-6
REL_MIN_SCALE = 1e-3
NORMAL_Z = {0.8: 1.2816, 0.9: 1.6449, 0.95: 1.9600, 0.99: 2.5758}


class InputError(Exception):
    """Bad command line or data; the message says what to fix."""


# ----------------------------------------------------------------- input ----

def parse_args(argv):
    """Command line; --quick shrinks the run to seconds."""
    ap = argparse.ArgumentParser(description="Train a forecaster on CSV series and export it to ONNX.")
    ap.add_argument("--data", nargs="+", action="extend", required=True,
                    help="CSV file(s), one series each (list several, or repeat --data)")
    ap.add_argument("--time-column", required=True)
    ap.add_argument("--value-column", required=True)
    ap.add_argument("--out", required=True, help="output folder (model.onnx, manifest.json, golden.json)")
    ap.add_argument("--name", default=None, help="model name (default: the output folder's name)")
    ap.add_argument("--version", default="1")
    ap.add_argument("--arch", choices=("lstm", "gru", "linear"), default="lstm")
    ap.add_argument("--signature", choices=("stateful-step", "window"), default=None,
                    help="default: stateful-step for lstm, window otherwise")
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--horizon", type=int, default=12)
    ap.add_argument("--window", type=int, default=64,
                    help="look-back of a window model; ring buffer length for a stateful one")
    ap.add_argument("--warmup", type=int, default=None,
                    help="samples the serving scaler fits on (default: the training split)")
    ap.add_argument("--split", default="0.7,0.1,0.2", help="train,validation,test fractions")
    ap.add_argument("--split-rows", default=None, help="train,validation,test row counts (overrides --split)")
    ap.add_argument("--sampling-interval", default=None, help="ISO 8601 (default: median of the time column)")
    ap.add_argument("--level", type=float, default=0.9, choices=sorted(NORMAL_Z))
    ap.add_argument("--kernel", type=int, default=25, help="moving-average length of the linear model")
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--patience", type=int, default=6)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=None, help="default 5e-3 (lstm, gru), 1e-3 (linear)")
    ap.add_argument("--crop", type=int, default=384, help="stateful training crop (inputs + horizon)")
    ap.add_argument("--chunk", type=int, default=48, help="truncated-BPTT chunk")
    ap.add_argument("--samples", type=int, default=4000,
                    help="gru/lstm window models: random training crops per epoch")
    ap.add_argument("--min-context", type=int, default=None,
                    help="gru/lstm window models: shortest prefix of a crop whose forecast is in the loss "
                         "(default: half the window)")
    ap.add_argument("--refit-share", type=float, default=0.25,
                    help="gru/lstm window models: share of crops scaled as after a serving refit (ring scaler)")
    ap.add_argument("--early-share", type=float, default=0.1,
                    help="gru/lstm window models: share of crops that are among a sensor's first windows")
    ap.add_argument("--drift-readings", type=int, default=12,
                    help="serving refit rule (Anomaly:DriftReadings): forecasts made after this many readings in "
                         "a row beyond --drift-score scales are left out of loss and validation; 0 turns it off")
    ap.add_argument("--drift-score", type=float, default=4.0)
    ap.add_argument("--noise-weights", choices=("ar", "none"), default="ar",
                    help="gru/lstm window models: weight each crop's squared errors by the inverse of its "
                         "series' one-step noise variance (AR fit) in the crop's units")
    ap.add_argument("--noise-floor", type=float, default=0.02)
    ap.add_argument("--val-stride", type=int, default=1, help="score every n-th validation origin while training")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--time-budget", type=float, default=600.0, help="stop training after this many seconds")
    ap.add_argument("--quick", action="store_true", help="smoke run in seconds")
    args = ap.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    args.signature = args.signature or ("stateful-step" if args.arch == "lstm" else "window")
    if args.signature == "stateful-step" and args.arch != "lstm":
        ap.error("only --arch lstm exports the stateful-step signature (it carries h and c)")
    if args.horizon < 1 or args.window < 2 or args.layers < 1 or args.hidden < 1:
        ap.error("--horizon must be >= 1, --window >= 2, --layers and --hidden >= 1")
    args.min_context = args.min_context or max(1, args.window // 2)
    if not 1 <= args.min_context <= args.window:
        ap.error("--min-context must be between 1 and --window")
    args.lr = args.lr or (1e-3 if args.arch == "linear" else 5e-3)
    if args.quick:
        args.epochs, args.patience, args.hidden = 2, 2, min(args.hidden, 8)
        args.crop = min(args.crop, 96)
        args.samples = min(args.samples, 64)
    args.name = args.name or os.path.basename(os.path.normpath(args.out))
    return args


def read_series(path, time_column, value_column):
    """(timestamps, float64 values) of one CSV file; InputError on anything unusable."""
    if not os.path.isfile(path):
        raise InputError(f"{path}: no such file")
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if not header:
            raise InputError(f"{path}: empty file")
        header = [h.strip() for h in header]
        for column in (time_column, value_column):
            if column not in header:
                raise InputError(f"{path}: no column '{column}' (columns: {', '.join(header)})")
        ti, vi = header.index(time_column), header.index(value_column)
        times, values = [], []
        for line, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(header):
                raise InputError(f"{path}:{line}: {len(row)} fields, the header has {len(header)}")
            try:
                value = float(row[vi])
            except ValueError:
                raise InputError(f"{path}:{line}: '{row[vi]}' in column '{value_column}' is not a number") from None
            if not math.isfinite(value):
                raise InputError(f"{path}:{line}: '{row[vi]}' in column '{value_column}' is not finite")
            times.append(row[ti].strip())
            values.append(value)
    return times, np.asarray(values, dtype=np.float64)


def split_counts(n, args):
    """(train, validation, test) row counts of a series of n rows."""
    if args.split_rows:
        counts = [int(v) for v in args.split_rows.split(",")]
        if len(counts) != 3 or min(counts) < 1 or sum(counts) > n:
            raise InputError(f"--split-rows {args.split_rows}: need three positive counts summing to at most {n}")
        return counts
    fractions = [float(v) for v in args.split.split(",")]
    if len(fractions) != 3 or min(fractions) <= 0 or sum(fractions) > 1.0 + 1e-9:
        raise InputError(f"--split {args.split}: need three positive fractions summing to at most 1")
    train, val = int(n * fractions[0]), int(n * fractions[1])
    return [train, val, min(int(n * fractions[2]), n - train - val)]


def median_interval_iso(times):
    """ISO 8601 duration of the median spacing of the timestamps (PT1H, PT5M, ...)."""
    from datetime import datetime
    parsed = []
    for t in times[:2000]:
        try:
            parsed.append(datetime.fromisoformat(t.replace("Z", "+00:00")))
        except ValueError:
            raise InputError(f"timestamp '{t}' is not ISO 8601; pass --sampling-interval") from None
    seconds = float(np.median([(b - a).total_seconds() for a, b in zip(parsed, parsed[1:])]))
    if seconds <= 0:
        raise InputError("timestamps are not increasing; pass rows in time order")
    return f"PT{int(seconds)}S" if seconds % 60 else (f"PT{int(seconds // 3600)}H" if seconds % 3600 == 0
                                                       else f"PT{int(seconds // 60)}M")


def scaler(values, warmup):
    """Serving scaler: mean and floored population std of the first `warmup` samples."""
    head = values[:warmup]
    mean = float(head.mean())
    scale = max(float(head.std()), REL_MIN_SCALE * abs(mean), MIN_SCALE)
    return mean, scale


def normalise(values, mean, scale):
    """z-score clipped to +-CLIP, float32 (what the model sees)."""
    return np.clip((values - mean) / scale, -CLIP, CLIP).astype(np.float32)


def refit_index(values, mean, scale, start, args):
    """First row at or after `start` that completes a run of --drift-readings rows beyond
    --drift-score scales of (mean, scale): the serving side refits its scaler there, so forecasts made
    from that row on never meet this scaling. len(values) when there is none (or the rule is off)."""
    if args.drift_readings <= 0:
        return len(values)
    beyond = np.abs((values[start:] - mean) / scale) > args.drift_score
    run = 0
    for i, b in enumerate(beyond):
        run = run + 1 if b else 0
        if run >= args.drift_readings:
            return start + i
    return len(values)


def innovation_variance(values, order=16):
    """One-step noise variance of a series (value units): residual variance of a least-squares AR(order)
    fit with intercept. On a smooth seasonal signal with AR(1) noise this is close to the noise's
    innovation variance, the error no forecaster can remove."""
    n = len(values)
    order = max(1, min(order, (n - 1) // 4))
    lags = np.stack([values[order - k - 1:n - k - 1] for k in range(order)], axis=1)
    design = np.concatenate([np.ones((n - order, 1)), lags], axis=1)
    target = values[order:]
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    return float(np.mean((target - design @ coef) ** 2))


# ---------------------------------------------------------------- models ----

class WindowRnn(nn.Module):
    """GRU or LSTM over the whole window from zero state, head on the last step."""

    def __init__(self, cell, layers, hidden, horizon):
        super().__init__()
        self.rnn = (nn.GRU if cell == "gru" else nn.LSTM)(1, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, horizon)

    def forward(self, x):
        """x [B,W,1] -> yhat [B,H]."""
        out, _ = self.rnn(x)
        return self.head(out[:, -1, :])

    def sequence(self, x):
        """Forecasts after every prefix of x [B,T,1] from zero state -> [B,T,H] (training only)."""
        out, _ = self.rnn(x)
        return self.head(out)


class DLinear(nn.Module):
    """DLinear with NLinear's last-value centring: linear maps of trend and remainder of the window."""

    def __init__(self, window, horizon, kernel):
        super().__init__()
        # Moving average with edge replication, as a fixed [W, W] matrix (one MatMul in ONNX).
        avg = np.zeros((window, window), dtype=np.float32)
        half = (kernel - 1) // 2
        for t in range(window):
            for j in range(t - half, t - half + kernel):
                avg[t, min(max(j, 0), window - 1)] += 1.0 / kernel
        self.register_buffer("avg_t", torch.from_numpy(avg.T.copy()))
        self.trend = nn.Linear(window, horizon)
        self.remainder = nn.Linear(window, horizon)
        with torch.no_grad():
            for layer in (self.trend, self.remainder):
                layer.weight.fill_(1.0 / window)
                layer.bias.zero_()

    def forward(self, x):
        """x [B,W,1] -> yhat [B,H]."""
        z = x[:, :, 0]
        last = z[:, -1:]
        z = z - last
        trend = z @ self.avg_t
        return self.trend(trend) + self.remainder(z - trend) + last


class Affine(nn.Module):
    """yhat = x @ W^T + b: what a trained DLinear collapses to (it is affine in its window)."""

    def __init__(self, model, window):
        super().__init__()
        with torch.no_grad():
            basis = torch.cat([torch.zeros(1, window, 1), torch.eye(window)[:, :, None]])
            out = model(basis)
        self.linear = nn.Linear(window, out.shape[1])
        with torch.no_grad():
            self.linear.bias.copy_(out[0])
            self.linear.weight.copy_((out[1:] - out[0]).T)

    def forward(self, x):
        """x [B,W,1] -> yhat [B,H]."""
        return self.linear(x[:, :, 0])


def build_model(args):
    """The torch module for --arch/--signature."""
    if args.arch == "linear":
        return DLinear(args.window, args.horizon, args.kernel)
    if args.signature == "stateful-step":
        return StatefulLstm(args.layers, args.hidden, args.horizon)
    return WindowRnn(args.arch, args.layers, args.hidden, args.horizon)


# -------------------------------------------------------------- datasets ----

def origins(n_rows, start, stop, window, horizon):
    """Forecast origins t (last observed row) whose targets t+1..t+H lie in [start, stop) and
    whose window t-W+1..t lies in the series."""
    first = max(start - 1, window - 1)
    return np.arange(first, stop - horizon)


def windows(z, idx, window, horizon):
    """Inputs [N,W,1] and targets [N,H] for origins idx of one normalised series."""
    x = np.stack([z[t - window + 1:t + 1] for t in idx])[:, :, None]
    y = np.stack([z[t + 1:t + 1 + horizon] for t in idx])
    return x, y


class Data:
    """Normalised series with their split borders; window datasets per split."""

    def __init__(self, series, args):
        self.series = []
        for path, values in series:
            train, val, test = split_counts(len(values), args)
            self.series.append((path, values, train, val, test))
        shortest_train = min(s[2] for s in self.series)
        self.warmup = args.warmup or shortest_train
        if self.warmup < 2 or self.warmup > shortest_train:
            raise InputError(f"--warmup {self.warmup} must be between 2 and the training split ({shortest_train} rows)")
        if args.signature == "stateful-step" and args.window < self.warmup:
            raise InputError(f"--window {args.window} (the ring a stateful model re-warms from) must be at least "
                             f"the warm-up ({self.warmup})")
        self.z, self.borders = [], []
        for path, values, train, val, test in self.series:
            mean, scale = scaler(values, self.warmup)
            self.z.append(normalise(values, mean, scale))
            self.borders.append((0, train, train + val, train + val + test))
            if train < args.window + args.horizon + 1:
                raise InputError(f"{path}: training split of {train} rows is shorter than window + horizon + 1")
            if val < args.horizon + 1:
                raise InputError(f"{path}: validation split of {val} rows is shorter than horizon + 1")
        # Forecasts the serving side makes under the warm-up scaler end at its first refit.
        # (counted from the first reading after the model is primed: warm-up, or a full window)
        primed = self.warmup if args.signature == "stateful-step" else max(self.warmup, args.window)
        self.refit = [refit_index(values, *scaler(values, self.warmup), primed, args)
                      for _, values, *_ in self.series]
        self.noise = [innovation_variance(values[:train]) for _, values, train, *_ in self.series]

    def split(self, part, window, horizon, stride=1, masked=False):
        """(x, y) over every series for part 0 train, 1 validation, 2 test; `masked` leaves out the
        origins from the serving refit point on (see refit_index)."""
        xs, ys = [], []
        for z, b, r in zip(self.z, self.borders, self.refit):
            idx = origins(len(z), b[part], b[part + 1], window, horizon)[::stride]
            if masked:
                idx = idx[idx < r]
            if len(idx):
                x, y = windows(z, idx, window, horizon)
                xs.append(x)
                ys.append(y)
        return np.concatenate(xs), np.concatenate(ys)


# --------------------------------------------------------------- training ----

def train_window(model, data, args, log):
    """Mini-batch training on every training window; returns epochs run."""
    x, y = data.split(0, args.window, args.horizon)
    xv, yv = data.split(1, args.window, args.horizon)
    if args.quick:
        x, y = x[:512], y[:512]
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    log(f"training windows {len(x)}, validation windows {len(xv)}")
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    rng = np.random.default_rng(args.seed)

    def validate():
        return float(((predict_window(model, xv) - yv) ** 2).mean())

    def epoch():
        model.train()
        order = rng.permutation(len(x))
        total = 0.0
        for start in range(0, len(order), args.batch):
            idx = torch.from_numpy(order[start:start + args.batch])
            loss = ((model(x[idx]) - y[idx]) ** 2).mean()
            total += gradient_step(model, opt, loss) * len(idx)
        return total / len(order)

    return early_stopping(model, epoch, validate, args, log)


def train_window_crops(model, data, args, log):
    """GRU/LSTM window models, trained the way they are served.

    Each epoch draws --samples crops of window + horizon rows from random series and offsets of the
    training split. A crop is scaled like a sensor: mostly by a scaler fitted on 48 (--warmup) rows that
    start anywhere before it (a sensor's window at row 900 still uses the scaler of rows 0-47), else
    (--refit-share) by one fitted on the ring of max(window, warmup) rows ending at a serving refit
    inside or before the window; --early-share of the crops are among a sensor's first windows. Drift is
    counted as served: from the first reading after the ring holds a full window. The recurrent net runs over the crop's window from zero state and the
    forecasts after every prefix of at least --min-context rows count in the loss (the one after the
    whole window is what serving asks for), except those the serving side never makes under that
    scaler (at or after the next refit point). Squared errors are weighted by the inverse of the
    series' one-step noise variance in the crop's units (floored, mean 1), so clean seasonal series,
    where a seasonal naive forecast is nearly exact, count as much as noisy ones. Adam with cosine
    decay over --epochs, best epoch by (weighted) validation MSE.
    """
    rng = np.random.default_rng(args.seed)
    w, h, warm = args.window, args.horizon, data.warmup
    ring = max(w, warm)
    lead = max(0, warm - w)  # a sensor's first window starts this many rows after its scaler's start
    usable = [i for i, (_, _, train, _, _) in enumerate(data.series) if train >= warm + lead + w + h]
    if not usable:
        raise InputError(f"no training split holds warm-up + window + horizon ({warm + lead + w + h}) rows")
    m = args.min_context
    xv, yv = data.split(1, w, h, stride=args.val_stride, masked=True)
    wv = validation_weights(data, args, stride=args.val_stride)
    log(f"crops per epoch {args.samples} from {len(usable)} series, loss on prefixes {m}..{w}; "
        f"validation windows {len(xv)} (every {args.val_stride}. origin before the refit point)")
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, args.epochs), eta_min=args.lr * 0.05)

    def crop():
        i = usable[rng.integers(len(usable))]
        _, values, train, _, _ = data.series[i]
        last_start = train - w - h          # latest window start inside the training split
        if rng.random() < args.refit_share and last_start >= ring - w + 1:
            a = int(rng.integers(ring - w + 1, last_start + 1))
            r = int(rng.integers(max(ring - 1, a - 1), a + w - 1))     # refit row (ring ends there)
            mean, scale = scaler(values[r - ring + 1:r + 1], ring)
            first, stop = r, refit_index(values, mean, scale, r + 1, args)
        else:
            s0 = int(rng.integers(0, last_start - lead + 1))
            # A sensor's first windows (drift is only counted once the ring holds a window) are where
            # a fast level change leaves the scaler behind before a refit can happen: drawn more often.
            late = last_start if rng.random() >= args.early_share else min(last_start, s0 + lead + 2 * args.drift_readings)
            a = int(rng.integers(s0 + lead, late + 1))
            mean, scale = scaler(values[s0:s0 + warm], warm)
            first, stop = s0 + ring - 1, refit_index(values, mean, scale, s0 + ring, args)
        z = normalise(values[a:a + w + h], mean, scale)
        t = a + np.arange(m - 1, w)                                  # origins of the scored prefixes
        keep = (t >= first) & (t < stop)
        noise = data.noise[i] / scale ** 2 if args.noise_weights == "ar" else 0.0
        return z, keep, 1.0 / (noise + args.noise_floor)

    def epoch():
        model.train()
        zs, keeps, weights = zip(*(crop() for _ in range(args.samples)))
        z = np.stack(zs)
        weights = np.asarray(weights, dtype=np.float64)
        weights = (weights / weights.mean()).astype(np.float32)
        x = torch.from_numpy(z[:, :w, None].copy())
        y = torch.from_numpy(np.lib.stride_tricks.sliding_window_view(z[:, m:], h, axis=1)[:, :w - m + 1].copy())
        wt = torch.from_numpy(np.stack(keeps).astype(np.float32) * weights[:, None])
        total, count = 0.0, 0
        for start in range(0, len(z), args.batch):
            rows = slice(start, start + args.batch)
            weight = wt[rows]
            if float(weight.sum()) == 0:
                continue
            out = model.sequence(x[rows])[:, m - 1:]
            loss = (((out - y[rows]) ** 2).mean(dim=2) * weight).sum() / float((weight > 0).sum())
            total += gradient_step(model, opt, loss)
            count += 1
        sched.step()
        return total / max(count, 1)

    def validate():
        se = ((predict_window(model, xv) - yv) ** 2).mean(axis=1)
        return float((se * wv).sum() / wv.sum())

    return early_stopping(model, epoch, validate, args, log)


def validation_weights(data, args, stride=1):
    """Noise weights of the validation origins (series' weight in its warm-up units), like the loss."""
    out = []
    for (_, values, *_), z, b, r, noise in zip(data.series, data.z, data.borders, data.refit, data.noise):
        idx = origins(len(z), b[1], b[2], args.window, args.horizon)[::stride]
        idx = idx[idx < r]
        scale = scaler(values, data.warmup)[1]
        v = noise / scale ** 2 if args.noise_weights == "ar" else 0.0
        out.append(np.full(len(idx), 1.0 / (v + args.noise_floor)))
    return np.concatenate(out)


def train_stateful(model, data, args, log):
    """Random crops of the training split from zero state, truncated BPTT; returns epochs run."""
    rng = np.random.default_rng(args.seed)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    h = args.horizon

    def crops():
        out = []
        for z, b in zip(data.z, data.borders):
            length = min(args.crop, b[1])
            count = max(1, (b[1] - length) // max(1, length // 4)) if not args.quick else 2
            starts = rng.integers(0, b[1] - length + 1, size=count)
            out += [z[s:s + length] for s in starts]
        return out

    def epoch():
        model.train()
        batch = crops()
        rng.shuffle(batch)
        total, count = 0.0, 0
        for start in range(0, len(batch), args.batch):
            group = batch[start:start + args.batch]
            length = min(len(c) for c in group)
            z = np.stack([c[:length] for c in group])
            xs = torch.from_numpy(z[:, :-h, None].copy())
            ys = torch.from_numpy(np.lib.stride_tricks.sliding_window_view(z[:, 1:], h, axis=1).copy())
            state = None
            for t in range(0, xs.shape[1], args.chunk):
                out, state = model.sequence(xs[:, t:t + args.chunk], state)
                loss = ((out - ys[:, t:t + args.chunk]) ** 2).mean()
                total += gradient_step(model, opt, loss)
                state = tuple(s.detach() for s in state)
                count += 1
        return total / max(count, 1)

    def validate():
        yhat, y = predict_stateful(model, data, 1, h)
        return float(((yhat - y) ** 2).mean())

    return early_stopping(model, epoch, validate, args, log)


def early_stopping(model, epoch, validate, args, log):
    """Runs epochs until validation MSE stops improving; keeps the best weights."""
    best, best_loss, stale, started, done = None, math.inf, 0, time.monotonic(), 0
    for done in range(1, args.epochs + 1):
        train_loss = epoch()
        val_loss = validate()
        log(f"epoch {done:3d}  train {train_loss:.5f}  val {val_loss:.5f}  {time.monotonic() - started:6.1f}s")
        if val_loss < best_loss:
            best_loss, stale = val_loss, 0
            best = {k: v.clone() for k, v in model.state_dict().items()}
        else:
            stale += 1
        if stale >= args.patience or time.monotonic() - started > args.time_budget:
            log("early stop" if stale >= args.patience else "stop: time budget reached")
            break
    model.load_state_dict(best)
    return done


@torch.no_grad()
def predict_window(model, x):
    """Forecasts of a window model for inputs x [N,W,1] (numpy)."""
    model.eval()
    out = [model(torch.from_numpy(x[i:i + 4096])).numpy() for i in range(0, len(x), 4096)]
    return np.concatenate(out).astype(np.float64)


@torch.no_grad()
def predict_stateful(model, data, part, h):
    """Run each series from zero state (as served: from its first sample) and score origins in `part`."""
    model.eval()
    yhats, ys = [], []
    for z, b in zip(data.z, data.borders):
        x = torch.from_numpy(z[None, :b[part + 1], None].copy())
        out, _ = model.sequence(x)
        idx = origins(len(z), b[part], b[part + 1], 1, h)
        idx = idx[idx >= data.warmup - 1]
        yhats.append(out[0, idx].numpy())
        ys.append(np.stack([z[t + 1:t + 1 + h] for t in idx]))
    return np.concatenate(yhats).astype(np.float64), np.concatenate(ys).astype(np.float64)


def evaluate(model, data, args, part):
    """yhat, y and repeat-last forecasts of one split."""
    if args.signature == "stateful-step":
        yhat, y = predict_stateful(model, data, part, args.horizon)
        last = None
    else:
        x, y = data.split(part, args.window, args.horizon, masked=args.arch != "linear")
        yhat, y = predict_window(model, x), y.astype(np.float64)
        last = np.repeat(x[:, -1, :].astype(np.float64), args.horizon, axis=1)
    return yhat, y, last


# ----------------------------------------------------------------- export ----

def export(model, args, path):
    """torch.onnx.export with dynamic batch (and time for the stateful step)."""
    model.eval()
    warnings.filterwarnings("ignore", message=".*batch_size other than 1.*")
    warnings.filterwarnings("ignore", message=".*shape inference of prim::Constant.*")
    if args.signature == "stateful-step":
        state = torch.zeros(args.layers, 2, args.hidden)
        torch.onnx.export(model, (torch.zeros(2, 5, 1), state, state), path,
                          input_names=["x", "h0", "c0"], output_names=["yhat", "hn", "cn"],
                          dynamic_axes={"x": {0: "batch", 1: "time"}, "h0": {1: "batch"}, "c0": {1: "batch"},
                                        "yhat": {0: "batch"}, "hn": {1: "batch"}, "cn": {1: "batch"}},
                          opset_version=OPSET, do_constant_folding=True)
    else:
        torch.onnx.export(model, (torch.zeros(2, args.window, 1),), path,
                          input_names=["x"], output_names=["yhat"],
                          dynamic_axes={"x": {0: "batch"}, "yhat": {0: "batch"}},
                          opset_version=OPSET, do_constant_folding=True)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    return [n.op_type for n in m.graph.node]


@torch.no_grad()
def golden(model, data, args):
    """Golden cases: random inputs and a real normalised stretch of the first series."""
    model.eval()
    rng = np.random.default_rng(args.seed + 1)
    f32 = np.float32
    cases = []
    if args.signature == "stateful-step":
        def case(x, h0, c0):
            yhat, hn, cn = model(*(torch.from_numpy(a) for a in (x, h0, c0)))
            named = (("x", x), ("h0", h0), ("c0", c0), ("yhat", yhat.numpy()), ("hn", hn.numpy()), ("cn", cn.numpy()))
            return {k: v for name, arr in named for k, v in ((name, fmt(arr)), (name + "Shape", list(arr.shape)))}
        small = lambda *s: (0.1 * rng.standard_normal(s)).astype(f32)  # noqa: E731
        zeros = np.zeros((args.layers, 1, args.hidden), f32)
        cases.append(case(rng.standard_normal((3, 5, 1)).astype(f32), small(args.layers, 3, args.hidden),
                          small(args.layers, 3, args.hidden)))
        cases.append(case(data.z[0][None, :min(data.warmup, 256), None].copy(), zeros, zeros))
        cases.append(case(rng.standard_normal((4, 1, 1)).astype(f32), small(args.layers, 4, args.hidden),
                          small(args.layers, 4, args.hidden)))
    else:
        def case(x):
            yhat = model(torch.from_numpy(x)).numpy()
            return {"x": fmt(x), "xShape": list(x.shape), "yhat": fmt(yhat), "yhatShape": list(yhat.shape)}
        cases.append(case(rng.standard_normal((3, args.window, 1)).astype(f32)))
        cases.append(case(data.z[0][None, data.borders[0][1] - args.window:data.borders[0][1], None].copy()))
    return {"cases": cases}


def calibrate(yhat, y, level):
    """Per-horizon residualStd = level-quantile(|residual|) / z, and the coverage it gives."""
    z = NORMAL_Z[level]
    q = np.quantile(np.abs(y - yhat), level, axis=0)
    return z, q / z


def manifest(args, data, epochs, interval_z, residual_std, metrics, sampling):
    """manifest.json (keys in the order of onnx/README.md)."""
    lst = lambda a: [float(f"{v:.6g}") for v in a]  # noqa: E731
    stateful = args.signature == "stateful-step"
    described = {"lstm": f"{args.layers}-layer LSTM, hidden {args.hidden}",
                 "gru": f"{args.layers}-layer GRU, hidden {args.hidden}",
                 "linear": f"DLinear (moving average {args.kernel}) on the last-value-centred window"}[args.arch]
    splits = "; ".join(f"{os.path.basename(p)}: {tr}/{va}/{te} rows" for p, _, tr, va, te in data.series)
    return {
        "name": args.name, "version": args.version, "signature": args.signature,
        "inputs": {"x": "x", "h0": "h0", "c0": "c0"} if stateful else {"x": "x"},
        "outputs": {"yhat": "yhat", "hn": "hn", "cn": "cn"} if stateful else {"yhat": "yhat"},
        "features": ["value"],
        "layers": args.layers if args.arch != "linear" else 0,
        "hidden": args.hidden if args.arch != "linear" else 0,
        "horizon": args.horizon, "window": args.window, "samplingInterval": sampling, "opset": OPSET,
        "normalisation": {"method": "per-sensor-zscore", "warmup": data.warmup, "minScale": MIN_SCALE,
                          "relativeMinScale": REL_MIN_SCALE, "clip": CLIP},
        "interval": {"method": "calibrated-residual", "level": args.level, "z": interval_z,
                     "calibration": "validation split, level-quantile of |residual| per horizon step, divided by z",
                     "residualStd": lst(residual_std)},
        "training": {
            "data": (f"{described}; column '{args.value_column}' of {len(data.series)} series, chronological "
                     f"train/validation/test split ({splits}); per-series z-score from the first "
                     f"{data.warmup} samples"),
            "series": len(data.series), "samples": int(sum(b[3] for b in data.borders)), "seed": args.seed,
            "epochs": epochs, "script": "onnx/train.py " + " ".join(args.argv),
        },
        "metrics": {"validation": metrics},
        "golden": "golden.json",
    }


def main(argv=None):
    """Read, train, calibrate, export, write the model folder."""
    args = parse_args(argv)
    log = lambda msg: print(msg, flush=True)  # noqa: E731
    seed_everything(args.seed)
    started = time.monotonic()
    try:
        series = []
        for path in args.data:
            times, values = read_series(path, args.time_column, args.value_column)
            series.append((path, values))
            sampling = args.sampling_interval or median_interval_iso(times)
        data = Data(series, args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    model = build_model(args)
    log(f"{args.arch} {args.signature}: {sum(p.numel() for p in model.parameters())} parameters, "
        f"window {args.window}, horizon {args.horizon}, warmup {data.warmup}")
    train = (train_stateful if args.signature == "stateful-step"
             else train_window if args.arch == "linear" else train_window_crops)
    try:
        epochs = train(model, data, args, log)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    yhat, y, last = evaluate(model, data, args, 1)
    interval_z, residual_std = calibrate(yhat, y, args.level)
    res = y - yhat
    metrics = {"mse": (res ** 2).mean(axis=0), "mae": np.abs(res).mean(axis=0),
               "coverage": (np.abs(res) <= interval_z * residual_std).mean(axis=0)}
    if last is not None:
        metrics["repeatLastMse"] = ((y - last) ** 2).mean(axis=0)
    metrics = {k: [float(f"{v:.6g}") for v in a] for k, a in metrics.items()}
    log(f"validation MSE mean over steps {np.mean(metrics['mse']):.5f}"
        + (f" (repeat-last {np.mean(metrics['repeatLastMse']):.5f})" if last is not None else ""))

    if args.arch == "linear":
        # One Gemm instead of the decomposition: a quarter of the file, the same function
        # (the validation metrics above were computed with the unfolded model).
        folded = Affine(model, args.window)
        x, _ = data.split(1, args.window, args.horizon)
        drift = float(np.abs(predict_window(folded, x) - predict_window(model, x)).max())
        log(f"folded to one affine layer: max abs difference on validation {drift:.2e}")
        if drift > 1e-4:
            print(f"error: folding changed the forecasts by {drift}", file=sys.stderr)
            return 1
        model = folded

    os.makedirs(args.out, exist_ok=True)
    ops = export(model, args, os.path.join(args.out, "model.onnx"))
    write_json(os.path.join(args.out, "golden.json"), golden(model, data, args))
    write_json(os.path.join(args.out, "manifest.json"),
               manifest(args, data, epochs, interval_z, residual_std, metrics, sampling))
    log(f"onnx ok ({len(ops)} nodes: {', '.join(sorted(set(ops)))}); wrote {args.out} in "
        f"{time.monotonic() - started:.1f}s; check it with: forecast models validate {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
