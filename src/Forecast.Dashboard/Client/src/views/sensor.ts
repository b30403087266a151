// Sensor: a search box, the chart of the sensor's recent readings with its forecast band and anomalies, and its
// episodes and anomaly events. The series is polled every few seconds.
import { api, ApiError, type Series } from "../api";
import { chartData, createChart } from "../chart";
import { debounce, errorBox, h, num, sensorHref, severityBadge, time } from "../dom";
import { anomalyRow } from "./anomalies";

const PollMs = 3_000;
const Ranges = ["-1m", "-5m", "-15m", "-1h"];

export function sensorView(root: HTMLElement, id: string): () => void {
  const search = h("input", { type: "search", id: "sensor-search", placeholder: "Find a sensor…", list: "sensor-options", autocomplete: "off", value: id });
  const options = h("datalist", { id: "sensor-options" });
  const form = h("form", { class: "search", role: "search" }, search, options, h("button", { type: "submit" }, "Open"));
  const suggest = debounce(async () => {
    try {
      const list = await api.sensors(search.value.trim(), 20);
      options.replaceChildren(...list.sensors.map((s) => h("option", { value: s.id })));
    } catch {
      // suggestions are a convenience; the form still works
    }
  }, 150);
  search.addEventListener("input", suggest);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const wanted = search.value.trim();
    if (wanted) location.hash = sensorHref(wanted);
  });

  if (!id) {
    const list = h("ul", { class: "links", id: "sensor-suggestions" });
    root.replaceChildren(h("h1", {}, "Sensor"), form, h("section", { class: "panel" }, h("h2", {}, "Some sensors"), list));
    api.sensors("", 30).then((l) => list.replaceChildren(...l.sensors.map((s) => h("li", {}, h("a", { href: sensorHref(s.id) }, s.id)))))
      .catch((error) => list.replaceChildren(errorBox(error)));
    suggest();
    return () => {};
  }

  const range = h("select", { id: "range", "aria-label": "Range" }, ...Ranges.map((r) => h("option", { value: r, selected: r === "-15m" }, `last ${r.slice(1)}`)));
  const facts = h("div", { class: "facts", id: "sensor-facts" });
  const chart = h("div", { class: "chart", id: "chart", "data-points": 0, "data-band-points": 0, "data-anomalies": 0 });
  const message = h("div", { id: "sensor-message" });
  const episodes = h("tbody", { id: "episode-rows" });
  const events = h("tbody", { id: "sensor-anomaly-rows" });
  root.replaceChildren(
    h("h1", {}, "Sensor ", h("span", { class: "sensor-id" }, id)),
    form,
    h("section", { class: "panel" }, h("div", { class: "panel-head" }, facts, range), message, chart),
    h("div", { class: "columns" },
      h("section", { class: "panel" }, h("h2", {}, "Episodes"),
        h("table", { class: "grid", id: "episode-table" },
          h("thead", {}, h("tr", {}, ...["Opened", "Latest event", "Severity", "Events", "Peak score", "State"].map((t) => h("th", {}, t)))), episodes)),
      h("section", { class: "panel" }, h("h2", {}, "Anomalies in range"),
        h("table", { class: "grid", id: "sensor-anomaly-table" },
          h("thead", {}, h("tr", {}, ...["Time", "Severity", "Value", "Expected", "Band", "Score", "Episode since", "Model"].map((t) => h("th", {}, t)))), events))));

  const plot = createChart(chart);
  let disposed = false;
  let timer: number | undefined;
  const load = async () => {
    window.clearTimeout(timer);
    try {
      const series = await api.series(id, range.value);
      if (disposed) return;
      message.replaceChildren();
      render(series);
    } catch (error) {
      if (disposed) return;
      message.replaceChildren(error instanceof ApiError && error.status === 404 ? h("p", { class: "muted" }, error.message) : errorBox(error));
    }
    if (!disposed) timer = window.setTimeout(load, PollMs);
  };

  const render = (series: Series) => {
    const data = chartData(series);
    plot.setData(data.data);
    chart.dataset.points = String(data.readings);
    chart.dataset.bandPoints = String(data.bandPoints);
    chart.dataset.anomalies = String(data.anomalies);
    const lastIndex = series.time.length - 1;
    const next = series.forecast[0];
    const open = series.episodes.find((e) => e.open);
    facts.replaceChildren(
      fact("last reading", lastIndex >= 0 ? `${num(series.value[lastIndex])} at ${time(new Date(series.time[lastIndex]).toISOString())}` : "–"),
      fact("next forecast", next ? `${num(next.mean)} (${num(next.lower)} … ${num(next.upper)})` : "–"),
      fact("model", series.model ?? "–"),
      fact("episode", open ? severityBadge(open.severity, `open · ${open.severity}`) : severityBadge(null, "none open")),
      fact("points", `${series.points}${series.truncated ? " (newest)" : ""}`));
    episodes.replaceChildren(...series.episodes.map((e) =>
      h("tr", {}, h("td", {}, time(e.start)), h("td", {}, time(e.latest)), h("td", {}, severityBadge(e.severity)),
        h("td", { class: "num" }, e.events), h("td", { class: "num" }, num(e.peakScore, 1)), h("td", {}, e.open ? "open" : "closed"))));
    if (series.episodes.length === 0) episodes.append(h("tr", {}, h("td", { colspan: 6, class: "muted" }, "No anomaly episodes recently.")));
    events.replaceChildren(...[...series.anomalies].reverse().map((a) => anomalyRow(a, false)));
    if (series.anomalies.length === 0) events.append(h("tr", {}, h("td", { colspan: 8, class: "muted" }, "None in this range.")));
  };

  range.addEventListener("change", () => void load());
  void load();
  return () => {
    disposed = true;
    window.clearTimeout(timer);
    plot.destroy();
  };
}

function fact(label: string, value: string | Node): HTMLElement {
  return h("div", { class: "fact" }, h("span", { class: "label" }, label), h("span", { class: "value" }, value));
}
