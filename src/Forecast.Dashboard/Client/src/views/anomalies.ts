// Anomalies: the latest events of this silo, newest first, filtered by severity; new ones arrive live.
import { api, type AnomalyEvent, type Severity } from "../api";
import { onAnomaly } from "../feed";
import { errorBox, h, num, sensorHref, severityBadge, time } from "../dom";

const Rows = 200;

export function anomaliesView(root: HTMLElement): () => void {
  const filter = h("select", { id: "severity-filter", "aria-label": "Severity" },
    h("option", { value: "" }, "all severities"), h("option", { value: "warning" }, "warning"), h("option", { value: "critical" }, "critical"));
  const rows = h("tbody", { id: "anomaly-rows" });
  const table = h("table", { class: "grid", id: "anomaly-table" },
    h("thead", {}, h("tr", {}, ...["Time", "Sensor", "Severity", "Value", "Expected", "Band", "Score", "Episode since", "Model"].map((t) => h("th", {}, t)))),
    rows);
  root.replaceChildren(h("h1", {}, "Anomalies"), h("section", { class: "panel" }, h("div", { class: "panel-head" }, h("h2", {}, "Latest"), filter), table));

  let disposed = false;
  const mark = () => (table.dataset.rows = String(rows.querySelectorAll("tr[data-sensor]").length));
  const load = async () => {
    try {
      const anomalies = await api.anomalies(filter.value as Severity | "", Rows);
      if (disposed) return;
      rows.replaceChildren(...anomalies.map((a) => anomalyRow(a)));
      if (anomalies.length === 0) rows.append(h("tr", {}, h("td", { colspan: 9, class: "muted" }, "No anomalies yet.")));
      mark();
    } catch (error) {
      rows.replaceChildren(h("tr", {}, h("td", { colspan: 9 }, errorBox(error))));
    }
  };
  filter.addEventListener("change", () => void load());
  void load();

  const stop = onAnomaly((anomaly) => {
    if (filter.value && anomaly.severity !== filter.value) return;
    rows.querySelector("tr:not([data-sensor])")?.remove();
    const row = anomalyRow(anomaly);
    row.classList.add("fresh");
    rows.prepend(row);
    while (rows.children.length > Rows) rows.lastElementChild?.remove();
    mark();
  });
  return () => {
    disposed = true;
    stop();
  };
}

/** One anomaly event as a table row; the sensor view leaves out the sensor column. */
export function anomalyRow(a: AnomalyEvent, withSensor = true): HTMLElement {
  return h("tr", { "data-sensor": a.sensor, "data-severity": a.severity },
    h("td", {}, time(a.time)),
    withSensor && h("td", {}, h("a", { href: sensorHref(a.sensor) }, a.sensor)),
    h("td", {}, severityBadge(a.severity)),
    h("td", { class: "num" }, num(a.value)),
    h("td", { class: "num" }, num(a.expected)),
    h("td", { class: "num muted" }, `${num(a.lower)} … ${num(a.upper)}`),
    h("td", { class: "num" }, num(a.score, 1)),
    h("td", {}, time(a.episodeStart)),
    h("td", { class: "muted" }, a.model));
}
