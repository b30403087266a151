#!/usr/bin/env python3
"""The service a user would otherwise write, for `Forecast.Bench peer` to race against Forecast.

A confluent-kafka consumer reads JSON readings ({"sensor", "ts" in ms, "value"}); each poll's readings are
stepped through a PyTorch LSTM of the bundled model's size (hidden 64, 12 steps) in one batch per round (a
sensor's second reading in a poll waits for the next round), normalised by each sensor's running mean and
standard deviation; the same points Forecast writes by default (the reading, steps 1 and 12 of the
prediction with its band) go to InfluxDB 1.x as gzipped line protocol, and the poll's offsets are committed
once InfluxDB took them: durable before acknowledged, as Forecast is.

usage: peer.py --bootstrap HOST:PORT --topic T --group G --influx URL --database DB --expect N
Prints one JSON line: readings, seconds, readings per second.
"""
import argparse
import gzip
import json
import time
import urllib.request
from collections import defaultdict

import torch
from confluent_kafka import Consumer

HIDDEN, STEPS, Z = 64, 12, 1.645


class Forecaster(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.cell = torch.nn.LSTMCell(1, HIDDEN)
        self.head = torch.nn.Linear(HIDDEN, STEPS)


class Sensors:
    """Per-sensor LSTM state and running mean/variance, in growing tensors indexed by sensor."""

    def __init__(self):
        self.index = {}
        self.h = torch.zeros(1024, HIDDEN)
        self.c = torch.zeros(1024, HIDDEN)
        self.n = torch.zeros(1024)
        self.mean = torch.zeros(1024)
        self.m2 = torch.zeros(1024)

    def of(self, sensor):
        i = self.index.get(sensor)
        if i is None:
            i = self.index[sensor] = len(self.index)
            if i == len(self.n):
                for name in ("h", "c", "n", "mean", "m2"):
                    t = getattr(self, name)
                    setattr(self, name, torch.cat([t, torch.zeros_like(t)]))
        return i


def line_tag(text):
    return text.replace("\\", "\\\\").replace(" ", "\\ ").replace(",", "\\,").replace("=", "\\=")


def main():
    p = argparse.ArgumentParser()
    for name in ("--bootstrap", "--topic", "--group", "--influx", "--database"):
        p.add_argument(name, required=True)
    p.add_argument("--expect", type=int, required=True)
    args = p.parse_args()

    model = Forecaster().eval()
    sensors = Sensors()
    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": args.group,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([args.topic])
    write = f"{args.influx.rstrip('/')}/write?db={args.database}&precision=ms"
    done, started = 0, None
    while done < args.expect:
        messages = [m for m in consumer.consume(num_messages=5000, timeout=1.0) if m.error() is None]
        if not messages:
            continue
        started = started or time.monotonic()
        by_sensor = defaultdict(list)
        for m in messages:
            r = json.loads(m.value())
            by_sensor[r["sensor"]].append((r["ts"], float(r["value"])))
        lines = []
        rounds = max(len(v) for v in by_sensor.values())
        for k in range(rounds):
            batch = [(s, v[k]) for s, v in by_sensor.items() if k < len(v)]
            idx = torch.tensor([sensors.of(s) for s, _ in batch])
            x = torch.tensor([value for _, (_, value) in batch])
            # Welford, vectorised over the round
            n = sensors.n[idx] + 1
            delta = x - sensors.mean[idx]
            mean = sensors.mean[idx] + delta / n
            m2 = sensors.m2[idx] + delta * (x - mean)
            sensors.n[idx], sensors.mean[idx], sensors.m2[idx] = n, mean, m2
            std = torch.sqrt(m2 / n.clamp(min=1)).clamp(min=1e-6)
            with torch.no_grad():
                h, c = model.cell(((x - mean) / std).unsqueeze(1), (sensors.h[idx], sensors.c[idx]))
                sensors.h[idx], sensors.c[idx] = h, c
                yhat = model.head(h) * std.unsqueeze(1) + mean.unsqueeze(1)
            band = (Z * std).tolist()
            yhat = yhat.tolist()
            for j, (sensor, (ts, value)) in enumerate(batch):
                tag = line_tag(sensor)
                lines.append(f"reading,sensor={tag} value={value} {ts}")
                for step in (1, STEPS):
                    y = yhat[j][step - 1]
                    lines.append(f"prediction,model=peer@1,sensor={tag},step={step} "
                                 f"yhat={y},lower={y - band[j]},upper={y + band[j]} {ts + step * 60000}")
        body = gzip.compress("\n".join(lines).encode(), compresslevel=1)
        request = urllib.request.Request(write, data=body, method="POST", headers={"Content-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=60) as response:
            if response.status != 204:
                raise SystemExit(f"peer: InfluxDB answered {response.status}")
        consumer.commit(asynchronous=False)
        done += len(messages)
    seconds = time.monotonic() - started
    consumer.close()
    print(json.dumps({"readings": done, "seconds": round(seconds, 2), "readingsPerSecond": round(done / seconds)}))


if __name__ == "__main__":
    main()
