// The Forecast dashboard: hash routes (#/fleet, #/sensor/<id>, #/anomalies, #/models), a live feed, and views.
import "./style.css";
import { startFeed } from "./feed";
import { anomaliesView } from "./views/anomalies";
import { fleetView } from "./views/fleet";
import { modelsView } from "./views/models";
import { sensorView } from "./views/sensor";

type View = (root: HTMLElement, argument: string) => () => void;

const views: Record<string, View> = {
  fleet: fleetView,
  sensor: sensorView,
  anomalies: anomaliesView,
  models: modelsView,
};

const root = document.getElementById("view")!;
let unmount: () => void = () => {};

function route(): void {
  const [, name = "fleet", ...rest] = location.hash.replace(/^#/, "").split("/");
  const view = views[name] ? name : "fleet";
  const argument = decodeURIComponent(rest.join("/"));
  unmount();
  document.body.dataset.view = view;
  for (const link of document.querySelectorAll<HTMLAnchorElement>("nav a")) {
    link.classList.toggle("active", link.dataset.view === view);
  }
  document.title = argument ? `${argument} · Forecast` : `${view[0].toUpperCase()}${view.slice(1)} · Forecast`;
  unmount = views[view](root, argument);
}

startFeed(document.getElementById("live")!);
window.addEventListener("hashchange", route);
route();
