// The silo's query API (see README "Dashboard"): typed fetches, every answer bounded by the server.

export type Severity = "warning" | "critical";

export interface ForecastStep {
  step: number;
  time: string;
  mean: number;
  lower: number;
  upper: number;
}

export interface AnomalyEvent {
  sensor: string;
  time: string;
  value: number;
  expected: number;
  lower: number;
  upper: number;
  score: number;
  severity: Severity;
  model: string;
  episodeStart: string;
}

export interface SensorRow {
  id: string;
  lastTime: string | null;
  lastValue: number | null;
  forecast: ForecastStep | null;
  episodeOpen: boolean;
  episodeSeverity: Severity | null;
  lastAnomaly: AnomalyEvent | null;
  model: string | null;
  points: number;
}

export interface SensorList {
  matched: number;
  limit: number;
  sensors: SensorRow[];
}

export interface Episode {
  start: string;
  latest: string;
  severity: Severity;
  events: number;
  peakScore: number;
  open: boolean;
}

export interface Series {
  sensor: string;
  model: string | null;
  from: string;
  to: string;
  points: number;
  truncated: boolean;
  time: number[];
  value: (number | null)[];
  mean: (number | null)[];
  lower: (number | null)[];
  upper: (number | null)[];
  anomalies: AnomalyEvent[];
  forecast: ForecastStep[];
  episodes: Episode[];
}

export interface Silo {
  name: string;
  address: string;
  host: string;
  status: string;
  started: string | null;
  local: boolean;
}

export interface FleetSummary {
  time: string;
  sensors: number;
  readingsPerSecond: number;
  readings: number;
  anomalyEvents: number;
  openAnomalies: { warning: number; critical: number };
  silos: Silo[];
  models: { model: string; sensors: number }[];
}

export class ApiError extends Error {
  constructor(public readonly status: number, message: string) {
    super(message);
  }
}

async function get<T>(path: string, params: Record<string, string | number | undefined> = {}): Promise<T> {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== "") query.set(key, String(value));
  }
  const url = query.size > 0 ? `${path}?${query}` : path;
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const problem = await response.json();
      detail = problem.detail ?? problem.title ?? detail;
    } catch {
      // not JSON: keep the status text
    }
    throw new ApiError(response.status, detail);
  }
  return (await response.json()) as T;
}

/** Sensor ids may hold slashes: each segment is encoded, the slashes kept. */
export const sensorPath = (id: string) => id.split("/").map(encodeURIComponent).join("/");

export const api = {
  fleet: () => get<FleetSummary>("/api/fleet"),
  sensors: (query: string, limit: number) => get<SensorList>("/api/sensors", { query, limit }),
  series: (id: string, from: string) => get<Series>(`/api/sensors/${sensorPath(id)}/series`, { from }),
  anomalies: (severity: Severity | "", limit: number) => get<AnomalyEvent[]>("/api/anomalies", { severity, limit }),
};
