#!/usr/bin/python3
"""Synthetic sensor series: the family the bundled default model is trained on.

The C# built-in simulator implements the same family (same formula, same
parameter ranges), so keep the two in step when changing anything here.

For one series with ``rng = numpy.random.default_rng(seed)``, parameters are
drawn in this order:

    base  ~ U(10, 100)
    a1    = base * U(0.05, 0.3)        main seasonal amplitude
    P1    ~ U(24, 144)                 period in samples (float)
    phi1  ~ U(0, 2*pi)
    a2    = a1 * U(0, 0.5)             second harmonic (period P1/2)
    phi2  ~ U(0, 2*pi)
    slope = N(0, 1) * a1 * 0.002       trend per sample
    ar    ~ U(0, 0.8)
    sigma = a1 * U(0.02, 0.2)

then ``n`` standard normals ``w_t`` for the noise, which is AR(1) with
``e_{-1} = 0``:  ``e_t = ar * e_{t-1} + sigma * w_t``.  For ``t = 0 .. n-1``:

    value_t = base + a1*sin(2*pi*t/P1 + phi1) + a2*sin(4*pi*t/P1 + phi2)
              + slope*t + e_t

No anomalies are injected (the training data must be clean).

Command line (prints a few series as CSV, handy for eyeballing):
    /usr/bin/python3 onnx/simulate.py --seed 7 --count 2 --length 200

or writes one CSV per series (``timestamp,value``, one sample a minute from 2026-01-01) for
``onnx/train.py``:
    /usr/bin/python3 onnx/simulate.py --seed 900000 --count 40 --length 1000 --write-dir /tmp/sim
"""

import argparse
import math
import sys

import numpy as np


def draw_params(rng):
    """Draw one series' parameters from ``rng`` in the documented order."""
    base = rng.uniform(10.0, 100.0)
    a1 = base * rng.uniform(0.05, 0.3)
    p1 = rng.uniform(24.0, 144.0)
    phi1 = rng.uniform(0.0, 2.0 * math.pi)
    a2 = a1 * rng.uniform(0.0, 0.5)
    phi2 = rng.uniform(0.0, 2.0 * math.pi)
    slope = rng.standard_normal() * a1 * 0.002
    ar = rng.uniform(0.0, 0.8)
    sigma = a1 * rng.uniform(0.02, 0.2)
    return dict(base=base, a1=a1, p1=p1, phi1=phi1, a2=a2, phi2=phi2,
                slope=slope, ar=ar, sigma=sigma)


def ar1_noise(ar, sigma, white):
    """AR(1) noise e_t = ar*e_{t-1} + sigma*white_t, starting from e_{-1} = 0."""
    out = np.empty_like(white)
    e = 0.0
    # A plain loop: the recursion is sequential and n is small (about 1000).
    for t, w in enumerate(white):
        e = ar * e + sigma * w
        out[t] = e
    return out


def simulate_series(seed, n):
    """Return (values float64[n], params dict) for the series with this seed."""
    rng = np.random.default_rng(seed)
    p = draw_params(rng)
    noise = ar1_noise(p["ar"], p["sigma"], rng.standard_normal(n))
    t = np.arange(n, dtype=np.float64)
    values = (p["base"]
              + p["a1"] * np.sin(2.0 * math.pi * t / p["p1"] + p["phi1"])
              + p["a2"] * np.sin(4.0 * math.pi * t / p["p1"] + p["phi2"])
              + p["slope"] * t
              + noise)
    return values, p


def simulate_many(seeds, n):
    """Return a float64 array [len(seeds), n], one series per seed."""
    return np.stack([simulate_series(int(s), n)[0] for s in seeds])


def main(argv=None):
    """Print ``count`` series (seeds seed, seed+1, ...) as CSV: t,seed,value."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--length", type=int, default=1000)
    ap.add_argument("--write-dir", default=None, help="write sim-<seed>.csv files (timestamp,value) here")
    args = ap.parse_args(argv)
    if args.write_dir:
        import datetime
        import os
        os.makedirs(args.write_dir, exist_ok=True)
        start = datetime.datetime(2026, 1, 1)
        for s in range(args.seed, args.seed + args.count):
            values, _ = simulate_series(s, args.length)
            with open(os.path.join(args.write_dir, f"sim-{s}.csv"), "w") as f:
                f.write("timestamp,value\n")
                for t, v in enumerate(values):
                    f.write(f"{(start + datetime.timedelta(minutes=t)).isoformat()}Z,{v!r}\n")
        return 0
    print("t,seed,value")
    for s in range(args.seed, args.seed + args.count):
        values, _ = simulate_series(s, args.length)
        for t, v in enumerate(values):
            print(f"{t},{s},{v!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
