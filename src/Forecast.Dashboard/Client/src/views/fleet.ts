// Fleet: the silo's counts, its cluster and models, and a bounded, searchable table of sensors.
import { api, type FleetSummary, type SensorRow } from "../api";
import { createFleetChart } from "../chart";
import { onFleet } from "../feed";
import { count, debounce, errorBox, h, num, sensorHref, severityBadge, time } from "../dom";

const TableRows = 100;
const TableRefreshMs = 5_000;
const Samples = 600;

// The feed's summaries since the page opened (at most the last 600), kept while other views are shown.
const samples: [number[], number[], number[], number[]] = [[], [], [], []];
onFleet((fleet) => {
  const values = [Date.parse(fleet.time) / 1000, fleet.readingsPerSecond, fleet.openAnomalies.warning, fleet.openAnomalies.critical];
  samples.forEach((column, i) => {
    column.push(values[i]);
    if (column.length > Samples) column.shift();
  });
});

export function fleetView(root: HTMLElement): () => void {
  const cards = h("section", { class: "cards", id: "fleet-cards" });
  const silos = h("tbody");
  const search = h("input", { type: "search", id: "sensor-filter", placeholder: "Filter sensors by id…", autocomplete: "off" });
  const shown = h("span", { class: "muted", id: "sensor-count" });
  const rows = h("tbody", { id: "sensor-rows" });
  const chart = h("div", { class: "fleet-chart", id: "fleet-chart", "data-points": 0 });
  root.replaceChildren(
    h("h1", {}, "Fleet"),
    cards,
    h("section", { class: "panel" }, h("h2", {}, "Readings/s and open anomaly episodes"), chart),
    h("section", { class: "panel" },
      h("div", { class: "panel-head" }, h("h2", {}, "Sensors"), search, shown),
      h("table", { class: "grid", id: "sensor-table" },
        h("thead", {}, h("tr", {}, ...["Sensor", "Last reading", "Value", "Next forecast", "Band", "Episode", "Model"].map((t) => h("th", {}, t)))),
        rows)),
    h("section", { class: "panel" },
      h("h2", {}, "Silos"),
      h("table", { class: "grid" },
        h("thead", {}, h("tr", {}, ...["Silo", "Address", "Host", "Status", "Started"].map((t) => h("th", {}, t)))),
        silos)));

  const plot = createFleetChart(chart);
  let lastTable = 0;
  let disposed = false;
  const loadTable = async () => {
    lastTable = Date.now();
    try {
      const list = await api.sensors(search.value.trim(), TableRows);
      if (disposed) return;
      rows.replaceChildren(...list.sensors.map(sensorRow));
      if (list.sensors.length === 0) rows.append(h("tr", {}, h("td", { colspan: 7, class: "muted" }, "No sensors match.")));
      shown.textContent = list.matched > list.sensors.length ? `first ${count(list.sensors.length)} of ${count(list.matched)}` : `${count(list.matched)}`;
    } catch (error) {
      rows.replaceChildren(h("tr", {}, h("td", { colspan: 7 }, errorBox(error))));
    }
  };
  search.addEventListener("input", debounce(loadTable, 200));
  void loadTable();

  const stop = onFleet((fleet) => {
    renderCards(cards, fleet);
    plot.setData(samples);
    chart.dataset.points = String(samples[0].length);
    silos.replaceChildren(...fleet.silos.map((s) =>
      h("tr", {}, h("td", {}, s.name, s.local ? h("span", { class: "tag" }, "this silo") : null), h("td", {}, s.address), h("td", {}, s.host),
        h("td", {}, s.status), h("td", {}, time(s.started)))));
    if (fleet.silos.length === 0) silos.append(h("tr", {}, h("td", { colspan: 5, class: "muted" }, "No cluster membership known yet.")));
    if (Date.now() - lastTable >= TableRefreshMs) void loadTable();
  });
  return () => {
    disposed = true;
    stop();
    plot.destroy();
  };
}

function renderCards(cards: HTMLElement, fleet: FleetSummary): void {
  const card = (label: string, value: string, id: string, kind = "") =>
    h("div", { class: `card ${kind}`, id }, h("div", { class: "value" }, value), h("div", { class: "label" }, label));
  cards.replaceChildren(
    card("sensors", count(fleet.sensors), "card-sensors"),
    card("readings/s", num(fleet.readingsPerSecond, 0), "card-rate"),
    card("open warnings", count(fleet.openAnomalies.warning), "card-warning", fleet.openAnomalies.warning > 0 ? "warning" : ""),
    card("open critical", count(fleet.openAnomalies.critical), "card-critical", fleet.openAnomalies.critical > 0 ? "critical" : ""),
    card(fleet.silos.length === 1 ? "silo" : "silos", count(fleet.silos.length), "card-silos"),
    card(fleet.models.length === 1 ? "model" : "models", fleet.models.map((m) => m.model).join(", ") || "–", "card-models", "wide"));
}

function sensorRow(s: SensorRow): HTMLElement {
  const f = s.forecast;
  return h("tr", { "data-sensor": s.id },
    h("td", {}, h("a", { href: sensorHref(s.id) }, s.id)),
    h("td", {}, time(s.lastTime)),
    h("td", { class: "num" }, num(s.lastValue)),
    h("td", { class: "num" }, f ? num(f.mean) : "–"),
    h("td", { class: "num muted" }, f ? `${num(f.lower)} … ${num(f.upper)}` : "–"),
    h("td", {}, s.episodeOpen ? severityBadge(s.episodeSeverity, `open · ${s.episodeSeverity}`) : s.lastAnomaly ? h("span", { class: "muted" }, `last ${time(s.lastAnomaly.time)}`) : ""),
    h("td", { class: "muted" }, s.model ?? "–"));
}
