#!/usr/bin/python3
"""Summarise anomaly scores written by `forecast evaluate --anomalies-out` against NAB's labelled windows.

    /usr/bin/python3 onnx/nab_summary.py --labels ../shared/data/nab/combined_windows.json \\
        --results /tmp/nab-results [--threshold 0.5]

--results holds one CSV per data file at the same relative path as in the labels
(e.g. realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv) with columns timestamp,value,anomaly_score.
A detection is a row whose score reaches the threshold while the previous row's did not (0.5 is the
score at which a sensor opens an anomaly episode). Per file and in total it prints the labelled windows,
the windows with at least one detection inside, and the detections outside every window. This is not
NAB's weighted score (which also rewards early detection inside a window); it counts hits and false alarms.
Standard library only.
"""

import argparse
import csv
import json
import os
import sys
from datetime import datetime


def parse(ts):
    """NAB timestamps: 'YYYY-MM-DD HH:MM:SS' (fractional seconds allowed)."""
    return datetime.fromisoformat(ts.strip())


def detections(path, threshold):
    """Timestamps where the score crosses the threshold upwards."""
    out, above = [], False
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = {"timestamp", "value", "anomaly_score"} - set(reader.fieldnames or [])
        if missing:
            raise SystemExit(f"{path}: missing columns {sorted(missing)}")
        for row in reader:
            now = float(row["anomaly_score"]) >= threshold
            if now and not above:
                out.append(parse(row["timestamp"]))
            above = now
    return out


def main(argv=None):
    """Print the per-file table and the totals."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--labels", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--threshold", type=float, default=0.5)
    args = ap.parse_args(argv)
    with open(args.labels) as f:
        labels = json.load(f)
    totals = [0, 0, 0, 0]
    print(f"{'file':58s} {'windows':>7s} {'hit':>4s} {'inside':>6s} {'outside':>7s}")
    for name in sorted(labels):
        path = os.path.join(args.results, name)
        if not os.path.exists(path):
            print(f"error: no results for {name} at {path}", file=sys.stderr)
            return 1
        windows = [(parse(a), parse(b)) for a, b in labels[name]]
        found = detections(path, args.threshold)
        inside = [d for d in found if any(a <= d <= b for a, b in windows)]
        hit = sum(1 for a, b in windows if any(a <= d <= b for d in found))
        row = [len(windows), hit, len(inside), len(found) - len(inside)]
        totals = [t + r for t, r in zip(totals, row)]
        print(f"{name:58s} {row[0]:7d} {row[1]:4d} {row[2]:6d} {row[3]:7d}")
    print(f"{'total (' + str(len(labels)) + ' files)':58s} {totals[0]:7d} {totals[1]:4d} {totals[2]:6d} {totals[3]:7d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
