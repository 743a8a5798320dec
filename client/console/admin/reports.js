/**
 * The Reports panel of the agent console, for admins (PROTOCOL.md *Reports*): a date range
 * (the last 7 days by default) read in the browser's time zone, the figures of
 * `GET /api/reports` as tables, bar charts (conversations per day and per hour of the day, the
 * rating distribution, conversion of assisted visitors against the rest by device) drawn with
 * the vendored uPlot, and the same figures as a CSV download (`GET /api/reports.csv`, fetched
 * with the token and saved from a Blob). The products section (shown, sent, added to the cart,
 * orders that followed, per agent and device, the top lists) has tables only, or a note where
 * the server keeps no product catalogue (`products` is null).
 *
 * Every chart repeats figures that are also in a table, so the canvas is only a picture
 * (`role="img"` with a label). uPlot is loaded on first draw, with its stylesheet added as a
 * `<link>` (the console's CSP allows both from our origin; uPlot writes no style attribute
 * strings). The pure parts (`defaultRange`, `rangeProblem`, `reportPath`, `formatSeconds`,
 * `conversionRows`, `productRows`, `chartData`) are tested in node.
 */

import { h } from "../../shared/dom.js";
import { errorText } from "../../shared/i18n.js";

export const MAX_DAYS = 366;
export const DEFAULT_DAYS = 7;
const DAY_MS = 86_400_000;
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

const pad = (n) => String(n).padStart(2, "0");

/** `date` as `YYYY-MM-DD` in the browser's zone (local calendar date). */
export function localDate(date) {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The last `days` days up to today, both included, as local dates. */
export function defaultRange(now = new Date(), days = DEFAULT_DAYS) {
  const first = new Date(now.getFullYear(), now.getMonth(), now.getDate() - (days - 1));
  return { from: localDate(first), to: localDate(now) };
}

/** Days from `from` to `to`, both included (calendar days, whatever the zone), or NaN. */
export function daysBetween(from, to) {
  if (!DATE_PATTERN.test(from ?? "") || !DATE_PATTERN.test(to ?? "")) return Number.NaN;
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  if (Number.isNaN(start) || Number.isNaN(end)) return Number.NaN;
  if (new Date(start).toISOString().slice(0, 10) !== from) return Number.NaN;
  if (new Date(end).toISOString().slice(0, 10) !== to) return Number.NaN;
  return Math.round((end - start) / DAY_MS) + 1;
}

/** What is wrong with a range, as a locale key, or null (the server checks the same). */
export function rangeProblem({ from, to }) {
  const days = daysBetween(from, to);
  if (Number.isNaN(days)) return "agent.reports.invalid_date";
  if (days < 1) return "agent.reports.invalid_order";
  if (days > MAX_DAYS) return "agent.reports.too_long";
  return null;
}

/** The browser's IANA time zone, UTC when it cannot tell. */
export function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** `/api/reports` (or `.csv`) for the range in zone `tz`. */
export function reportPath({ from, to, tz }, format = "json") {
  const query = new URLSearchParams({ from, to, tz });
  return `/api/reports${format === "csv" ? ".csv" : ""}?${query}`;
}

/** Seconds for people: "–" without a value, "45 s", "3 min 5 s", "2 h 4 min". */
export function formatSeconds(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(Number(seconds))) return "–";
  const total = Math.round(Number(seconds));
  if (total < 60) return `${total} s`;
  if (total < 3600) {
    const rest = total % 60;
    return rest ? `${Math.floor(total / 60)} min ${rest} s` : `${total / 60} min`;
  }
  const minutes = Math.round((total % 3600) / 60);
  return minutes ? `${Math.floor(total / 3600)} h ${minutes} min` : `${Math.floor(total / 3600)} h`;
}

/** A rate 0–1 as a percentage with one decimal, "–" for null. */
export function formatRate(rate) {
  if (rate === null || rate === undefined) return "–";
  return `${(Math.round(rate * 1000) / 10).toFixed(1)} %`;
}

/** Orders in one currency as text: `"EUR 2 × 75.25 (150.50)"` (count × average, total). */
export function orderText(o) {
  return `${o.currency} ${o.orders} × ${o.average} (${o.total})`;
}

/**
 * The conversion table's rows: one per device and visitor kind (assisted first), with its
 * orders per currency as text (`orderText`), never summed across currencies.
 */
export function conversionRows(report) {
  const rows = [...(report?.conversions ?? [])];
  rows.sort(
    (a, b) => a.device.localeCompare(b.device) || Number(b.assisted) - Number(a.assisted),
  );
  return rows.map((row) => ({
    device: row.device,
    assisted: row.assisted,
    visitors: row.visitors,
    converted: row.converted,
    rate: formatRate(row.rate),
    orders: row.orders.map(orderText),
  }));
}

/**
 * The products section as table rows, or null when the report has none (a server without the
 * product catalogue). `figures`: the range's counts and its orders' value (currencies apart,
 * "–" without orders); `agents` and `devices`: `[name, shown, sent, added, orders, value]`;
 * `mostShown`: `[title, id, shown]`; `mostSold`: `[title, id, quantity, orders]`, the id
 * standing for a title the catalogue does not know.
 */
export function productRows(report) {
  const p = report?.products;
  if (!p) return null;
  const value = (f) => f.orders_value.map(orderText).join("; ") || "–";
  const counts = (f) => [f.shown, f.sent, f.added_to_cart, f.orders_with_shown, value(f)];
  return {
    figures: { ...p, orders_value: value(p) },
    agents: p.agents.map((a) => [a.name || a.id, ...counts(a)]),
    devices: p.devices.map((d) => [d.device, ...counts(d)]),
    mostShown: p.most_shown.map((x) => [x.title ?? x.product_id, x.product_id, x.shown]),
    mostSold: p.most_sold_after_chat.map((x) => [
      x.title ?? x.product_id,
      x.product_id,
      x.quantity,
      x.orders,
    ]),
  };
}

/**
 * The series of a chart: `{labels, series: [{key, values}]}`. `kind`: `per_day` (labels are
 * the dates' `MM-DD`), `per_hour` (0–23), `rating` (1–5), `conversion` (per device, the
 * assisted and the other visitors' rates in %).
 */
export function chartData(report, kind) {
  switch (kind) {
    case "per_day": {
      const days = report?.per_day ?? [];
      return {
        labels: days.map((d) => d.date.slice(5)),
        series: [{ key: "conversations", values: days.map((d) => d.conversations) }],
      };
    }
    case "per_hour":
      return {
        labels: Array.from({ length: 24 }, (_, hour) => String(hour)),
        series: [{ key: "conversations", values: [...(report?.per_hour ?? Array(24).fill(0))] }],
      };
    case "rating":
      return {
        labels: ["1", "2", "3", "4", "5"],
        series: [
          { key: "ratings", values: [...(report?.rating?.distribution ?? Array(5).fill(0))] },
        ],
      };
    case "conversion": {
      const groups = report?.conversions ?? [];
      const devices = [...new Set(groups.map((g) => g.device))].sort();
      const rate = (device, assisted) => {
        const found = groups.find((g) => g.device === device && g.assisted === assisted);
        return found && found.rate !== null ? Math.round(found.rate * 1000) / 10 : 0;
      };
      return {
        labels: devices,
        series: [
          { key: "assisted", values: devices.map((d) => rate(d, true)) },
          { key: "unassisted", values: devices.map((d) => rate(d, false)) },
        ],
      };
    }
    default:
      throw new Error(`unknown chart ${kind}`);
  }
}

let uplotLoading = null;
/** uPlot and its stylesheet, loaded once. */
function loadUplot() {
  if (!uplotLoading) {
    const href = new URL("../../vendor/uPlot.min.css", import.meta.url).href;
    if (!document.querySelector(`link[href="${href}"]`)) {
      document.head.append(h("link", { rel: "stylesheet", href }));
    }
    uplotLoading = import("../../vendor/uPlot.esm.js").then((module) => module.default);
  }
  return uplotLoading;
}

function cssColor(element, name, fallback) {
  const value = getComputedStyle(element).getPropertyValue(name).trim();
  return value || fallback;
}

let nextId = 0;
const uid = (name) => `cv-reports-${name}-${++nextId}`;

export class ReportsPanel {
  #t;
  #api;
  #me;
  #report = null;
  #plots = [];

  /**
   * @param {object} options
   * @param {Function} options.t translator
   * @param {import("../../shared/api.js").Api} options.api the admin's API client (its `token` is sent
   *   with the CSV download)
   * @param {{id: string, admin: boolean}} options.me `GET /api/me`
   * @param {() => Date} [options.now] today, for the default range
   */
  constructor({ t, api, me, now = () => new Date() }) {
    this.#t = t;
    this.#api = api;
    this.#me = me;
    this.range = defaultRange(now());
    this.tz = browserZone();
    this.#build();
  }

  /** The panel's root element, to mount wherever the console shows it. */
  get element() {
    return this.root;
  }

  /** The range in the form, or null with its problem shown in the panel. */
  #checkedRange() {
    const range = { from: this.fromInput.value, to: this.toInput.value };
    const problem = rangeProblem(range);
    if (problem) {
      this.#showError(this.#t(problem, { days: MAX_DAYS }));
      return null;
    }
    return range;
  }

  /** Load the report of the range in the form and draw it; errors are shown in the panel. */
  async refresh() {
    if (!this.#me?.admin) return;
    const range = this.#checkedRange();
    if (!range) return;
    this.range = range;
    this.#showError(null);
    this.body.setAttribute("aria-busy", "true");
    try {
      this.#report = await this.#api.get(reportPath({ ...range, tz: this.tz }));
      this.#render();
    } catch (error) {
      this.#showError(errorText(this.#t, error, "agent.reports.error"));
    } finally {
      this.body.removeAttribute("aria-busy");
    }
  }

  /** Fetch the CSV with the token and save it (a Blob behind a temporary link). */
  async download() {
    const range = this.#checkedRange();
    if (!range) return;
    try {
      const response = await fetch(
        new URL(reportPath({ ...range, tz: this.tz }, "csv"), this.#api.origin),
        { headers: { Authorization: `Bearer ${this.#api.token}` }, credentials: "omit" },
      );
      if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        throw body.error ?? { code: "internal" };
      }
      const url = URL.createObjectURL(await response.blob());
      const link = h("a", { href: url, download: `covisor-report-${range.from}-${range.to}.csv` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      this.#showError(errorText(this.#t, error, "agent.reports.error"));
    }
  }

  #build() {
    const t = this.#t;
    this.fromInput = h("input", {
      type: "date",
      class: "cv-admin-input",
      id: uid("from"),
      value: this.range.from,
      "data-testid": "reports-from",
      required: true,
    });
    this.toInput = h("input", {
      type: "date",
      class: "cv-admin-input",
      id: uid("to"),
      value: this.range.to,
      "data-testid": "reports-to",
      required: true,
    });
    const form = h(
      "form",
      {
        class: "cv-reports-range",
        "data-testid": "reports-form",
        on: {
          submit: (event) => {
            event.preventDefault();
            this.refresh();
          },
        },
      },
      h(
        "div",
        { class: "cv-admin-field" },
        h("label", { for: this.fromInput.id, text: t("agent.reports.from") }),
        this.fromInput,
      ),
      h(
        "div",
        { class: "cv-admin-field" },
        h("label", { for: this.toInput.id, text: t("agent.reports.to") }),
        this.toInput,
      ),
      h("button", {
        type: "submit",
        class: "cv-btn cv-btn--primary",
        "data-testid": "reports-show",
        text: t("agent.reports.show"),
      }),
      h("button", {
        type: "button",
        class: "cv-btn",
        "data-testid": "reports-csv",
        text: t("agent.reports.download_csv"),
        on: { click: () => this.download() },
      }),
    );
    this.zoneNote = h("p", {
      class: "cv-admin-hint",
      text: t("agent.reports.zone", { tz: this.tz }),
    });
    this.error = h("p", {
      class: "cv-form-message cv-admin-error",
      role: "alert",
      "data-testid": "reports-error",
      hidden: true,
    });
    this.body = h("div", { class: "cv-reports-body", "data-testid": "reports-body" });
    this.root = h(
      "section",
      {
        class: "cv-admin-panel cv-reports",
        "data-testid": "reports-panel",
        "aria-labelledby": "cv-reports-title",
      },
      h(
        "div",
        { class: "cv-admin-head" },
          h("h2", {
          id: "cv-reports-title",
          class: "cv-admin-title",
          text: t("agent.reports.title"),
        }),
      ),
      form,
      this.zoneNote,
      this.error,
      this.body,
    );
  }

  #showError(text) {
    this.error.hidden = !text;
    this.error.textContent = text ?? "";
  }

  #table(caption, headers, rows, testid, wide = false) {
    return h(
      "table",
      { class: `cv-reports-table${wide ? " cv-reports-table--wide" : ""}`, "data-testid": testid },
      h("caption", { text: caption }),
      h("thead", {}, h("tr", {}, headers.map((text) => h("th", { scope: "col", text })))),
      h(
        "tbody",
        {},
        rows.length
          ? rows.map((cells) =>
              h(
                "tr",
                {},
                cells.map((cell, i) =>
                  h(i === 0 ? "th" : "td", { scope: i === 0 ? "row" : null, text: String(cell) }),
                ),
              ),
            )
          : h(
              "tr",
              {},
              h("td", { colspan: String(headers.length), text: this.#t("agent.reports.none") }),
            ),
      ),
    );
  }

  #render() {
    const t = this.#t;
    const r = this.#report;
    for (const plot of this.#plots) plot.destroy();
    this.#plots = [];
    const device = (name) =>
      t.has(`agent.reports.device_${name}`) ? t(`agent.reports.device_${name}`) : name;
    const { first_response: firstResponse, wait, duration } = r.times;
    const charts = h("div", { class: "cv-reports-charts" });
    this.body.replaceChildren(
      this.#table(
        t("agent.reports.conversations"),
        [t("agent.reports.figure"), t("agent.reports.value")],
        [
          [t("agent.reports.total"), r.conversations.total],
          [t("agent.reports.answered"), r.conversations.answered],
          [t("agent.reports.missed"), r.conversations.missed],
          [t("agent.reports.offline"), r.conversations.offline],
          [t("agent.reports.uploads"), r.activity.uploads],
          [t("agent.reports.pin_joins"), r.activity.pin_joins],
          [t("agent.reports.invitations_sent"), r.activity.invitations_sent],
          [t("agent.reports.invitations_accepted"), r.activity.invitations_accepted],
        ],
        "reports-overview",
      ),
      this.#table(
        t("agent.reports.times"),
        [t("agent.reports.figure"), t("agent.reports.median"), t("agent.reports.p90")],
        [
          [
            t("agent.reports.first_response"),
            formatSeconds(firstResponse.median),
            formatSeconds(firstResponse.p90),
          ],
          [t("agent.reports.wait"), formatSeconds(wait.median), formatSeconds(wait.p90)],
          [t("agent.reports.duration"), formatSeconds(duration.median), "–"],
        ],
        "reports-times",
      ),
      this.#table(
        t("agent.reports.rating", { count: r.rating.count }),
        [t("agent.reports.score"), t("agent.reports.count")],
        [
          [t("agent.reports.average"), r.rating.average ?? "–"],
          ...r.rating.distribution.map((count, i) => [String(i + 1), count]),
        ],
        "reports-rating",
      ),
      this.#table(
        t("agent.reports.agents"),
        [
          t("agent.reports.agent"),
          t("agent.reports.total"),
          t("agent.reports.messages"),
          t("agent.reports.closed"),
          t("agent.reports.first_response"),
          t("agent.reports.average"),
        ],
        r.agents.map((a) => [
          a.name,
          a.conversations,
          a.messages,
          a.closed,
          formatSeconds(a.first_response_median),
          a.rating_average ?? "–",
        ]),
        "reports-agents",
        true,
      ),
      h("p", {
        class: "cv-admin-hint cv-reports-note",
        "data-testid": "reports-credit-rule",
        text: t("agent.reports.credit_rule"),
      }),
      this.#table(
        t("agent.reports.devices"),
        [
          t("agent.reports.device"),
          t("agent.reports.total"),
          t("agent.reports.answered"),
          t("agent.reports.missed"),
        ],
        r.devices.map((d) => [device(d.device), d.conversations, d.answered, d.missed]),
        "reports-devices",
        true,
      ),
      this.#table(
        t("agent.reports.conversions"),
        [
          t("agent.reports.device"),
          t("agent.reports.visitors_kind"),
          t("agent.reports.visitors"),
          t("agent.reports.converted"),
          t("agent.reports.rate"),
          t("agent.reports.orders"),
        ],
        conversionRows(r).map((row) => [
          device(row.device),
          t(row.assisted ? "agent.reports.assisted" : "agent.reports.unassisted"),
          row.visitors,
          row.converted,
          row.rate,
          row.orders.join("; ") || "–",
        ]),
        "reports-conversions",
        true,
      ),
      ...this.#productTables(device),
      charts,
    );
    this.#charts(charts).catch(() => {
      const note = h("p", { class: "cv-admin-hint", text: t("agent.reports.no_charts") });
      charts.replaceChildren(note);
    });
  }

  /** The products section's tables, or its note when the server keeps no catalogue. */
  #productTables(device) {
    const t = this.#t;
    const rows = productRows(this.#report);
    if (!rows) {
      return [
        h("p", {
          class: "cv-admin-hint cv-reports-note",
          "data-testid": "reports-products-none",
          text: t("agent.reports.products_unavailable"),
        }),
      ];
    }
    const { figures } = rows;
    const columns = [
      t("agent.reports.col_shown"),
      t("agent.reports.col_sent"),
      t("agent.reports.col_added"),
      t("agent.reports.col_orders"),
      t("agent.reports.col_value"),
    ];
    return [
      this.#table(
        t("agent.reports.products"),
        [t("agent.reports.figure"), t("agent.reports.value")],
        [
          [t("agent.reports.shown"), figures.shown],
          [t("agent.reports.sent"), figures.sent],
          [t("agent.reports.added_to_cart"), figures.added_to_cart],
          [t("agent.reports.orders_with_shown"), figures.orders_with_shown],
          [t("agent.reports.orders_value"), figures.orders_value],
        ],
        "reports-products",
      ),
      this.#table(
        t("agent.reports.most_shown"),
        [t("agent.reports.product"), t("agent.reports.product_id"), t("agent.reports.times_shown")],
        rows.mostShown,
        "reports-most-shown",
      ),
      this.#table(
        t("agent.reports.most_sold"),
        [
          t("agent.reports.product"),
          t("agent.reports.product_id"),
          t("agent.reports.quantity"),
          t("agent.reports.order_count"),
        ],
        rows.mostSold,
        "reports-most-sold",
      ),
      this.#table(
        t("agent.reports.products_agents"),
        [t("agent.reports.agent"), ...columns],
        rows.agents,
        "reports-products-agents",
        true,
      ),
      this.#table(
        t("agent.reports.products_devices"),
        [t("agent.reports.device"), ...columns],
        rows.devices.map(([name, ...rest]) => [device(name), ...rest]),
        "reports-products-devices",
        true,
      ),
    ];
  }

  async #charts(container) {
    const t = this.#t;
    const r = this.#report;
    const uPlot = await loadUplot();
    if (r !== this.#report) return;
    const accent = cssColor(this.root, "--cv-accent", "#2f5fd0");
    const muted = cssColor(this.root, "--cv-muted", "#5a6372");
    const text = cssColor(this.root, "--cv-text", "#1a1e26");
    const per = r.range.days > 1 ? "per_day" : "per_hour";
    const specs = [
      [per, t(per === "per_day" ? "agent.reports.chart_per_day" : "agent.reports.chart_per_hour")],
      ...(per === "per_day" ? [["per_hour", t("agent.reports.chart_per_hour")]] : []),
      ["rating", t("agent.reports.chart_rating")],
      ["conversion", t("agent.reports.chart_conversion")],
    ];
    for (const [kind, title] of specs) {
      const data = chartData(r, kind);
      const figure = h("figure", {
        class: "cv-reports-chart",
        "data-testid": `reports-chart-${kind}`,
      });
      const canvasHolder = h("div", { role: "img", "aria-label": title });
      const legend =
        data.series.length > 1
          ? h(
              "ul",
              { class: "cv-reports-legend", "aria-hidden": "true" },
              data.series.map((s, i) =>
                h(
                  "li",
                  {},
                  h("span", { class: `cv-reports-swatch cv-reports-swatch--${i}` }),
                  t(`agent.reports.series_${s.key}`),
                ),
              ),
            )
          : null;
      figure.append(...[h("figcaption", { text: title }), legend, canvasHolder].filter(Boolean));
      container.append(figure);
      const width = Math.max(280, Math.min(container.clientWidth || 640, 720));
      const n = data.labels.length;
      const step = Math.max(1, Math.ceil(n / 12));
      const colors = [accent, muted];
      const plot = new uPlot(
        {
          width,
          height: 180,
          legend: { show: false },
          cursor: { show: false },
          scales: {
            x: { time: false, range: [-0.5, n - 0.5] },
            y: { range: (_, __, max) => [0, Math.max(1, max)] },
          },
          axes: [
            {
              stroke: text,
              splits: () => data.labels.map((_, i) => i).filter((i) => i % step === 0),
              values: (_, splits) => splits.map((i) => data.labels[i] ?? ""),
              grid: { show: false },
            },
            {
              stroke: text,
              values: (_, splits) => splits.map((v) => (Number.isInteger(v) ? String(v) : "")),
            },
          ],
          series: [
            {},
            ...data.series.map((s, i) => ({
              label: t(`agent.reports.series_${s.key}`),
              fill: colors[i % colors.length],
              stroke: colors[i % colors.length],
              paths: uPlot.paths.bars({
                size: [data.series.length > 1 ? 0.4 : 0.7, 60],
                align: data.series.length > 1 ? (i === 0 ? -1 : 1) : 0,
              }),
              points: { show: false },
            })),
          ],
        },
        [data.labels.map((_, i) => i), ...data.series.map((s) => s.values)],
        canvasHolder,
      );
      this.#plots.push(plot);
    }
  }
}
