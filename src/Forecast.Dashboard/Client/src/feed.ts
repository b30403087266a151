// The live feed: one EventSource on /api/events for the whole page; views subscribe to its events.
import type { AnomalyEvent, FleetSummary } from "./api";

type Listener<T> = (value: T) => void;

const fleetListeners = new Set<Listener<FleetSummary>>();
const anomalyListeners = new Set<Listener<AnomalyEvent>>();
let latestFleet: FleetSummary | null = null;

export function startFeed(indicator: HTMLElement): void {
  const source = new EventSource("/api/events");
  const show = (state: string, text: string) => {
    indicator.dataset.state = state;
    indicator.textContent = text;
  };
  source.onopen = () => show("live", "live");
  source.onerror = () => show("down", "reconnecting…");
  source.addEventListener("fleet", (event) => {
    latestFleet = JSON.parse((event as MessageEvent<string>).data) as FleetSummary;
    show("live", "live");
    for (const listener of fleetListeners) listener(latestFleet);
  });
  source.addEventListener("anomaly", (event) => {
    const anomaly = JSON.parse((event as MessageEvent<string>).data) as AnomalyEvent;
    for (const listener of anomalyListeners) listener(anomaly);
  });
}

/** Calls `listener` with every fleet summary (at once with the latest one, when there is one); returns the unsubscribe. */
export function onFleet(listener: Listener<FleetSummary>): () => void {
  fleetListeners.add(listener);
  if (latestFleet) listener(latestFleet);
  return () => fleetListeners.delete(listener);
}

/** Calls `listener` with each new anomaly event; returns the unsubscribe. */
export function onAnomaly(listener: Listener<AnomalyEvent>): () => void {
  anomalyListeners.add(listener);
  return () => anomalyListeners.delete(listener);
}
