// The sensor chart (uPlot): readings, the one-step-ahead forecast mean with its band filled between lower and
// upper, the latest forecast for the moments ahead, and anomalies as red points.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { Series } from "./api";

const Lower = 3;
const Upper = 4;

export interface ChartData {
  data: uPlot.AlignedData;
  readings: number;
  bandPoints: number;
  anomalies: number;
}

/** Columns for uPlot: x in seconds, readings and anomalies null over the forecast ahead. */
export function chartData(series: Series): ChartData {
  const x: number[] = series.time.map((t) => t / 1000);
  const value = [...series.value];
  const mean = [...series.mean];
  const lower = [...series.lower];
  const upper = [...series.upper];
  const last = series.time.length > 0 ? series.time[series.time.length - 1] : -Infinity;
  for (const step of series.forecast) {
    const t = Date.parse(step.time);
    if (t <= last) continue;
    x.push(t / 1000);
    value.push(null);
    mean.push(step.mean);
    lower.push(step.lower);
    upper.push(step.upper);
  }

  const marks: (number | null)[] = new Array(x.length).fill(null);
  let anomalies = 0;
  const first = series.time.length > 0 ? series.time[0] : Infinity;
  for (const anomaly of series.anomalies) {
    const t = Date.parse(anomaly.time);
    // Only on the readings shown: an event older than the oldest reading kept is listed, not drawn.
    const index = t >= first && t <= last ? nearest(series.time, t) : -1;
    if (index >= 0) {
      marks[index] = anomaly.value;
      anomalies++;
    }
  }

  return {
    data: [x, value, mean, lower, upper, marks],
    readings: series.time.length,
    bandPoints: upper.filter((u) => u !== null).length,
    anomalies,
  };
}

function nearest(times: number[], t: number): number {
  let lo = 0;
  let hi = times.length - 1;
  if (hi < 0) return -1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(times[lo - 1] - t) < Math.abs(times[lo] - t)) lo--;
  return lo;
}

export function createChart(container: HTMLElement): uPlot {
  const css = getComputedStyle(document.documentElement);
  const color = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  const reading = color("--reading", "#1d4ed8");
  const forecast = color("--forecast", "#7c3aed");
  const anomaly = color("--critical", "#dc2626");
  const options: uPlot.Options = {
    width: Math.max(320, container.clientWidth),
    height: 360,
    cursor: { drag: { x: true, y: false } },
    scales: { x: { time: true } },
    legend: { live: true },
    series: [
      {},
      { label: "Reading", stroke: reading, width: 1.5, points: { show: false } },
      { label: "Forecast", stroke: forecast, width: 1.25, dash: [6, 4], points: { show: false } },
      { label: "Lower", stroke: "transparent", points: { show: false } },
      { label: "Upper", stroke: "transparent", points: { show: false } },
      {
        label: "Anomaly",
        stroke: anomaly,
        fill: anomaly,
        paths: () => null,
        points: { show: true, size: 10, width: 2, stroke: "#7f1d1d", fill: anomaly },
      },
    ],
    bands: [{ series: [Upper, Lower], fill: "rgba(124, 58, 237, 0.16)" }],
    axes: [{}, { size: 70 }],
  };
  const plot = new uPlot(options, [[], [], [], [], [], []], container);
  new ResizeObserver(() => plot.setSize({ width: Math.max(320, container.clientWidth), height: 360 })).observe(container);
  return plot;
}

/** The fleet's readings/s (left axis) and open episodes by severity (right axis) over the feed's recent summaries. */
export function createFleetChart(container: HTMLElement): uPlot {
  const css = getComputedStyle(document.documentElement);
  const color = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  const options: uPlot.Options = {
    width: Math.max(320, container.clientWidth),
    height: 200,
    scales: { x: { time: true }, rate: { auto: true, range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] }, open: { auto: true, range: (_u, _min, max) => [0, Math.max(2, max + 1)] } },
    series: [
      {},
      { label: "readings/s", scale: "rate", stroke: color("--reading", "#1d4ed8"), width: 1.5, fill: "rgba(29, 78, 216, 0.08)", points: { show: false } },
      { label: "open warnings", scale: "open", stroke: color("--warning", "#d97706"), width: 1.5, paths: uPlot.paths.stepped!({ align: 1 }), points: { show: false } },
      { label: "open critical", scale: "open", stroke: color("--critical", "#dc2626"), width: 1.5, paths: uPlot.paths.stepped!({ align: 1 }), points: { show: false } },
    ],
    axes: [{}, { scale: "rate", size: 70 }, { scale: "open", side: 1, grid: { show: false } }],
  };
  const plot = new uPlot(options, [[], [], [], []], container);
  new ResizeObserver(() => plot.setSize({ width: Math.max(320, container.clientWidth), height: 200 })).observe(container);
  return plot;
}
