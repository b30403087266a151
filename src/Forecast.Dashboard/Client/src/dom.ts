// Small DOM helpers: elements are built with text nodes, never from HTML strings, so sensor ids are shown as sent.

type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? "" : String(value));
  }
  element.append(...children.filter((c): c is Node | string | number => c !== null && c !== undefined && c !== false).map((c) => (typeof c === "number" ? String(c) : c)));
  return element;
}

export const sensorHref = (id: string) => `#/sensor/${encodeURIComponent(id)}`;

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "medium", hour12: false });

export function time(iso: string | null | undefined): string {
  if (!iso) return "–";
  const date = new Date(iso);
  return Date.now() - date.getTime() < 86_400_000 ? timeFormat.format(date) : dateTimeFormat.format(date);
}

export function num(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e6 || abs < 1e-3)) return value.toExponential(digits);
  return value.toLocaleString(undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export const count = (value: number) => value.toLocaleString();

export function severityBadge(severity: string | null | undefined, text?: string): HTMLElement {
  return h("span", { class: `badge ${severity ?? "ok"}` }, text ?? severity ?? "ok");
}

/** Calls `fn` at most once per `ms`, with the latest arguments. */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): (...args: A) => void {
  let timer: number | undefined;
  return (...args: A) => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => fn(...args), ms);
  };
}

export function errorBox(error: unknown): HTMLElement {
  return h("p", { class: "error" }, error instanceof Error ? error.message : String(error));
}
