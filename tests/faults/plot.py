#!/usr/bin/python3
"""Plots a fault-suite report: per scenario, memory per silo and how far behind the pipeline was, over time.

Usage: tests/faults/plot.py faults-report.json [faults-report.png]
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(report_path, image_path):
    with open(report_path, encoding="utf-8") as f:
        report = json.load(f)
    scenarios = [s for s in report["scenarios"] if s.get("samples")]
    if not scenarios:
        sys.exit(f"{report_path}: no scenario has samples to plot")

    fig, axes = plt.subplots(len(scenarios), 2, figsize=(13, 3.2 * len(scenarios)), squeeze=False)
    for row, scenario in zip(axes, scenarios):
        samples = scenario["samples"]
        at = [s["at"] for s in samples]
        memory, behind = row
        for silo in sorted({k for s in samples for k in s["rssMb"]}, key=int):
            memory.plot(at, [s["rssMb"].get(silo) for s in samples], label=f"silo {silo}", linewidth=1)
        memory.set_ylabel("resident MiB")
        memory.set_title(f"{scenario['scenario']}: memory per silo", fontsize=10)
        memory.legend(fontsize=8, loc="lower right")

        behind.plot(at, [s["behind"] for s in samples], color="tab:red", linewidth=1, label="readings not yet durable")
        behind.set_ylabel("readings behind")
        share = behind.twinx()
        share.plot(at, [s["withinSecond"] if s["withinSecond"] is not None else float("nan") for s in samples],
                   color="tab:green", linewidth=0.8, alpha=0.7, label="calls durable within 1 s")
        share.set_ylim(0, 1.05)
        share.set_ylabel("share within 1 s")
        times = scenario["recoverySeconds"]
        recovery = ", ".join("never" if r is None else f"{r:.1f}" for r in times)
        if len(times) > 6:
            # A long run's list would not fit the title: how many recovered, and the slowest that did.
            done = [r for r in times if r is not None]
            recovery = f"{len(done)} of {len(times)} faults" + (f", slowest {max(done):.1f}" if done else "")
        behind.set_title(f"{scenario['scenario']}: lost {scenario['lost']:,}, recovery {recovery} s", fontsize=10)
        lines = behind.get_legend_handles_labels()[0] + share.get_legend_handles_labels()[0]
        behind.legend(lines, [l.get_label() for l in lines], fontsize=8, loc="upper left")

        for axis in row:
            axis.set_xlabel("seconds")
            for mark in scenario.get("marks") or []:
                axis.axvline(mark["at"], color="grey", linestyle=":", linewidth=0.8)

    fig.tight_layout()
    fig.savefig(image_path, dpi=90)
    print(f"plot: {image_path}")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else sys.argv[1].rsplit(".", 1)[0] + ".png")
