import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import {
  chartData,
  conversionRows,
  daysBetween,
  defaultRange,
  formatRate,
  formatSeconds,
  localDate,
  orderText,
  productRows,
  rangeProblem,
  reportPath,
} from "../../../console/admin/reports.js";

const locale = (lang) =>
  JSON.parse(readFileSync(new URL(`../../../locales/${lang}.json`, import.meta.url), "utf8"));

const REPORT = {
  range: { from: "2026-03-28", to: "2026-03-29", tz: "Europe/Warsaw", days: 2 },
  rating: { count: 2, average: 4, distribution: [0, 0, 1, 0, 1] },
  per_day: [
    { date: "2026-03-28", conversations: 3 },
    { date: "2026-03-29", conversations: 1 },
  ],
  per_hour: Array.from({ length: 24 }, (_, hour) => (hour === 23 ? 2 : 0)),
  conversions: [
    {
      device: "phone",
      assisted: false,
      visitors: 3,
      converted: 0,
      rate: 0,
      orders: [],
    },
    {
      device: "desktop",
      assisted: false,
      visitors: 8,
      converted: 1,
      rate: 0.125,
      orders: [{ currency: "PLN", orders: 1, total: "40.00", average: "40.00" }],
    },
    {
      device: "phone",
      assisted: true,
      visitors: 1,
      converted: 1,
      rate: 1,
      orders: [
        { currency: "EUR", orders: 2, total: "150.50", average: "75.25" },
        { currency: "USD", orders: 1, total: "7.00", average: "7.00" },
      ],
    },
  ],
};

test("the default range is the last seven local days, today included", () => {
  assert.deepEqual(defaultRange(new Date(2026, 2, 29, 23, 59)), {
    from: "2026-03-23",
    to: "2026-03-29",
  });
  assert.deepEqual(defaultRange(new Date(2026, 0, 3, 0, 1)), {
    from: "2025-12-28",
    to: "2026-01-03",
  });
  assert.equal(localDate(new Date(2026, 10, 5)), "2026-11-05");
});

test("a range is two real dates in order, at most 366 days", () => {
  assert.equal(rangeProblem({ from: "2026-03-28", to: "2026-03-28" }), null);
  assert.equal(rangeProblem({ from: "2025-03-30", to: "2026-03-30" }), null, "366 days");
  assert.equal(rangeProblem({ from: "2025-03-29", to: "2026-03-30" }), "agent.reports.too_long");
  assert.equal(rangeProblem({ from: "2026-03-29", to: "2026-03-28" }), "agent.reports.invalid_order");
  for (const from of ["", "2026-02-30", "28.03.2026", "2026-3-28", undefined])
    assert.equal(rangeProblem({ from, to: "2026-03-29" }), "agent.reports.invalid_date", from);
  assert.equal(daysBetween("2026-03-28", "2026-03-29"), 2, "calendar days, DST or not");
});

test("the report's path carries the range and the zone, encoded", () => {
  const range = { from: "2026-03-28", to: "2026-03-29", tz: "America/Argentina/Buenos_Aires" };
  assert.equal(
    reportPath(range),
    "/api/reports?from=2026-03-28&to=2026-03-29&tz=America%2FArgentina%2FBuenos_Aires",
  );
  assert.ok(reportPath(range, "csv").startsWith("/api/reports.csv?from=2026-03-28&"));
});

test("seconds and rates read as people say them", () => {
  assert.equal(formatSeconds(null), "–");
  assert.equal(formatSeconds(44.6), "45 s");
  assert.equal(formatSeconds(120), "2 min");
  assert.equal(formatSeconds(185), "3 min 5 s");
  assert.equal(formatSeconds(7440), "2 h 4 min");
  assert.equal(formatSeconds(3600), "1 h");
  assert.equal(formatRate(null), "–");
  assert.equal(formatRate(0.125), "12.5 %");
  assert.equal(formatRate(1), "100.0 %");
});

test("conversion rows come by device, assisted first, currencies never summed", () => {
  assert.deepEqual(conversionRows(REPORT), [
    {
      device: "desktop",
      assisted: false,
      visitors: 8,
      converted: 1,
      rate: "12.5 %",
      orders: ["PLN 1 × 40.00 (40.00)"],
    },
    {
      device: "phone",
      assisted: true,
      visitors: 1,
      converted: 1,
      rate: "100.0 %",
      orders: ["EUR 2 × 75.25 (150.50)", "USD 1 × 7.00 (7.00)"],
    },
    { device: "phone", assisted: false, visitors: 3, converted: 0, rate: "0.0 %", orders: [] },
  ]);
  assert.deepEqual(conversionRows({}), []);
});

const eur = { currency: "EUR", orders: 1, total: "81.00", average: "81.00" };
const usd = { currency: "USD", orders: 1, total: "120.00", average: "120.00" };
const figures = (shown, sent, added, value) => ({
  shown,
  sent,
  added_to_cart: added,
  orders_with_shown: value.length,
  orders_value: value,
});
const PRODUCTS = {
  ...figures(2, 2, 1, [eur, usd]),
  agents: [
    { id: "a_1", name: "Ann", ...figures(2, 1, 1, [eur]) },
    { id: "a_2", name: "", ...figures(0, 1, 0, []) },
  ],
  devices: [{ device: "phone", ...figures(2, 2, 1, [eur, usd]) }],
  most_shown: [{ product_id: "ZT", title: "Zapatilla de trail", shown: 2 }],
  most_sold_after_chat: [
    { product_id: "SOCKS", title: null, quantity: 2, orders: 1 },
    { product_id: "ZT", title: "Zapatilla de trail", quantity: 1, orders: 1 },
  ],
};

test("the products section as rows: currencies apart, ids where titles are unknown", () => {
  assert.equal(orderText(eur), "EUR 1 × 81.00 (81.00)");
  const rows = productRows({ ...REPORT, products: PRODUCTS });
  assert.equal(rows.figures.shown, 2);
  assert.equal(rows.figures.orders_value, "EUR 1 × 81.00 (81.00); USD 1 × 120.00 (120.00)");
  assert.deepEqual(rows.agents, [
    ["Ann", 2, 1, 1, 1, "EUR 1 × 81.00 (81.00)"],
    ["a_2", 0, 1, 0, 0, "–"],
  ]);
  assert.deepEqual(rows.devices[0].slice(0, 5), ["phone", 2, 2, 1, 2]);
  assert.deepEqual(rows.mostShown, [["Zapatilla de trail", "ZT", 2]]);
  assert.deepEqual(rows.mostSold, [
    ["SOCKS", "SOCKS", 2, 1],
    ["Zapatilla de trail", "ZT", 1, 1],
  ]);
  assert.equal(productRows({ ...REPORT, products: null }), null, "no catalogue on the server");
  assert.equal(productRows(REPORT), null);
});

test("chart data: days, hours, ratings and conversion per device", () => {
  assert.deepEqual(chartData(REPORT, "per_day"), {
    labels: ["03-28", "03-29"],
    series: [{ key: "conversations", values: [3, 1] }],
  });
  const hours = chartData(REPORT, "per_hour");
  assert.equal(hours.labels.length, 24);
  assert.equal(hours.series[0].values[23], 2);
  assert.deepEqual(chartData(REPORT, "rating").series[0].values, [0, 0, 1, 0, 1]);
  assert.deepEqual(chartData(REPORT, "conversion"), {
    labels: ["desktop", "phone"],
    series: [
      { key: "assisted", values: [0, 100] },
      { key: "unassisted", values: [12.5, 0] },
    ],
  });
  assert.throws(() => chartData(REPORT, "pie"));
});

test("every locale has every reports string", () => {
  const english = Object.keys(locale("en")).filter((k) => k.startsWith("agent.reports."));
  assert.ok(english.length > 40);
  for (const lang of ["es", "de", "pl", "fr"]) {
    const strings = locale(lang);
    for (const key of english) assert.ok(strings[key], `${lang}: ${key}`);
  }
  const source = readFileSync(new URL("../../../console/admin/reports.js", import.meta.url), "utf8");
  for (const [, key] of source.matchAll(/"(agent\.reports\.[a-z0-9_]+)"/g))
    assert.ok(english.includes(key), key);
});
