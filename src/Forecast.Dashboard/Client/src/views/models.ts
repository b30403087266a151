// Models: the versions this silo's sensors are forecast with, and how many sensors each serves.
import { onFleet } from "../feed";
import { count, h } from "../dom";

export function modelsView(root: HTMLElement): () => void {
  const rows = h("tbody", { id: "model-rows" });
  root.replaceChildren(
    h("h1", {}, "Models"),
    h("section", { class: "panel" },
      h("p", { class: "muted" }, "Model versions in use on this silo: the model of each sensor's latest prediction."),
      h("table", { class: "grid", id: "model-table" },
        h("thead", {}, h("tr", {}, h("th", {}, "Model"), h("th", {}, "Sensors"), h("th", {}, "Share"))),
        rows)));
  return onFleet((fleet) => {
    rows.replaceChildren(...fleet.models.map((m) => {
      const share = fleet.sensors > 0 ? (100 * m.sensors) / fleet.sensors : 0;
      return h("tr", { "data-model": m.model },
        h("td", {}, m.model),
        h("td", { class: "num" }, count(m.sensors)),
        h("td", {}, h("div", { class: "bar" }, h("div", { class: "fill", style: `width:${share.toFixed(1)}%` })), h("span", { class: "muted" }, ` ${share.toFixed(1)}%`)));
    }));
    if (fleet.models.length === 0) rows.append(h("tr", {}, h("td", { colspan: 3, class: "muted" }, "No predictions written yet.")));
  });
}
