#!/usr/bin/python3
"""Draws the scale-per-silo curve from `bench pipeline` JSON lines (one file per sensor count).

usage: benchmarks/scale/plot.py OUT.png RUN.json [RUN.json ...]
Each RUN.json is the last line `bench pipeline --Simulator:Sensors N` printed. Needs Debian's python3-matplotlib.
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    runs = sorted((json.loads(open(path).read().strip().splitlines()[-1]) for path in sys.argv[2:]), key=lambda r: r["sensors"])
    sensors = [r["sensors"] for r in runs]
    fig, (rate, memory) = plt.subplots(1, 2, figsize=(10, 3.5))
    rate.plot(sensors, [r["readingsPerSecond"] / 1000 for r in runs], "o-")
    rate.set(xscale="log", xlabel="sensors in one silo", ylabel="readings/s (thousands)", title="full speed", ylim=(0, None))
    memory.plot(sensors, [r["memoryPerSensorAfterRunBytes"] / 1024 for r in runs], "o-", label="active")
    # Runs of earlier builds have no idle phase, or none after the reactivation: drawn where present.
    for key, label in (("memoryPerSensorBytes", "idle (deactivated)"), ("reactivatedMemoryPerSensorBytes", "reactivated")):
        points = [(r["sensors"], r["idle"][key] / 1024) for r in runs if key in r.get("idle", {})]
        if points:
            memory.plot(*zip(*points), "o--", label=label)
    memory.axhline(8, color="grey", linestyle=":", label="8 KB target")
    memory.set(xscale="log", xlabel="sensors in one silo", ylabel="KB managed memory per sensor", title="memory", ylim=(0, None))
    memory.legend()
    fig.tight_layout()
    fig.savefig(sys.argv[1], dpi=90)
    print(f"plot: {sys.argv[1]}")


if __name__ == "__main__":
    main()
