import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import {
  COUNTS,
  ImportWatch,
  MAX_ERRORS,
  UNITS,
  countsLine,
  errorsNote,
  formatElapsed,
  formatWhen,
  intervalMinutes,
  intervalText,
  refusalText,
  scheduleProblem,
  splitInterval,
  urlProblem,
} from "../../../console/admin/feed-imports.js";
import { ApiError } from "../../../shared/api.js";
import { LANGUAGES, createTranslator } from "../../../shared/i18n.js";
import { fakeTimers } from "../../fake-timers.mjs";

const locale = (lang) =>
  JSON.parse(readFileSync(new URL(`../../../locales/${lang}.json`, import.meta.url), "utf8"));
const english = locale("en");
const en = createTranslator("en", english);
const pl = createTranslator("pl", locale("pl"), english);
const de = createTranslator("de", locale("de"), english);

test("an interval shows as whole hours when it is some, else as minutes, and back", () => {
  assert.deepEqual(splitInterval(360), { amount: 6, unit: "hours" });
  assert.deepEqual(splitInterval(90), { amount: 90, unit: "minutes" });
  assert.deepEqual(splitInterval(10080), { amount: 168, unit: "hours" });
  assert.deepEqual(splitInterval(null), { amount: 6, unit: "hours" });
  assert.equal(intervalMinutes("6", "hours"), 360);
  assert.equal(intervalMinutes(" 45 ", "minutes"), 45);
  for (const [amount, unit] of [["", "hours"], ["1.5", "hours"], ["-2", "minutes"], ["3", "days"]])
    assert.equal(intervalMinutes(amount, unit), null, `${amount} ${unit}`);
});

test("a schedule needs 15 minutes to 7 days and an http(s) URL without credentials", () => {
  const ok = { url: "https://shop.example/feed.xml", amount: "6", unit: "hours" };
  assert.equal(scheduleProblem(ok), null);
  assert.equal(scheduleProblem({ ...ok, amount: "15", unit: "minutes" }), null);
  assert.equal(scheduleProblem({ ...ok, amount: "168" }), null);
  assert.equal(scheduleProblem({ ...ok, amount: "169" }), "feed.every_invalid");
  assert.equal(scheduleProblem({ ...ok, amount: "14", unit: "minutes" }), "feed.every_invalid");
  assert.equal(scheduleProblem({ ...ok, amount: "0" }), "feed.every_invalid");
  assert.equal(urlProblem("http://127.0.0.1:8080/feed.xml"), null);
  assert.equal(urlProblem("  "), "feed.url_missing");
  assert.equal(urlProblem("shop.example/feed.xml"), "feed.url_invalid");
  assert.equal(urlProblem("ftp://shop.example/feed.xml"), "feed.url_invalid");
  assert.equal(urlProblem(`https://shop.example/${"x".repeat(2048)}`), "feed.url_too_long");
  assert.equal(urlProblem("https://me:pw@shop.example/feed.xml"), "feed.url_credentials");
});

test("a duration reads in seconds with a decimal, then minutes and hours, in the language", () => {
  assert.equal(formatElapsed(en, null), "–");
  assert.equal(formatElapsed(en, 0), "0 ms");
  assert.equal(formatElapsed(en, 412.4), "412 ms");
  assert.equal(formatElapsed(en, 999.6), "1.0 s");
  assert.equal(formatElapsed(pl, 1530), "1,5 s");
  assert.equal(formatElapsed(en, 9949), "9.9 s");
  assert.equal(formatElapsed(en, 42_300), "42 s");
  assert.equal(formatElapsed(en, 185_000), "3 min 5 s");
  assert.equal(formatElapsed(en, 180_000), "3 min");
  assert.equal(formatElapsed(de, 7_440_000), "2 Std. 4 Min.");
  assert.equal(formatElapsed(pl, 7_200_000), "2 godz.");
});

test("the counts line names every count with the language's digit grouping", () => {
  const record = {
    processed: 12345,
    added: 20,
    updated: 5,
    unchanged: 12318,
    removed: 2,
    failed: 0,
  };
  assert.equal(
    countsLine(en, record),
    "12,345 read: 20 added, 5 updated, 12,318 unchanged, 2 removed, 0 failed",
  );
  assert.equal(
    countsLine(pl, record),
    "wczytano 12\u00a0345: dodano 20, zaktualizowano 5, bez zmian 12\u00a0318, usunięto 2, " +
      "odrzucono 0",
  );
  assert.equal(countsLine(en, {}), "0 read: 0 added, 0 updated, 0 unchanged, 0 removed, 0 failed");
});

test("an interval in words, and a moment as a time today or a date otherwise", () => {
  assert.equal(intervalText(en, 360), "every 6 h");
  assert.equal(intervalText(pl, 90), "co 90 min");
  const now = new Date(2026, 11, 7, 15, 0).getTime();
  assert.equal(formatWhen(en, new Date(2026, 11, 7, 9, 5).getTime(), now), "09:05 AM");
  assert.match(formatWhen(en, new Date(2026, 11, 1, 9, 5).getTime(), now), /Dec 1, 2026/);
});

test("a refused URL or file shows the server's own message after the translated text", () => {
  const refused = new ApiError("bad_request", "url must be https on a public host", 400);
  assert.equal(
    refusalText(en, refused, "feed.error"),
    "Not accepted. The server says: url must be https on a public host",
  );
  assert.equal(
    refusalText(en, new ApiError("conflict", "an import is running", 409), "feed.error"),
    english["feed.error.conflict"],
  );
  assert.equal(
    refusalText(en, new ApiError("offline", "x"), "feed.error"),
    english["error.offline"],
  );
});

test("the errors note says when only the first 500 are kept", () => {
  assert.equal(errorsNote(en, { errors: [] }), null);
  assert.equal(errorsNote(en, { errors: [{ id: "a", reason: "b" }] }), "Problems found: 1");
  const errors = Array.from({ length: MAX_ERRORS }, (_, i) => ({ id: `p${i}`, reason: "x" }));
  const full = { errors };
  assert.equal(errorsNote(en, full), "The first 500 problems are shown; no more are kept.");
  assert.equal(errorsNote(pl, full), "Pokazano pierwsze 500 problemów; kolejne nie są zapisywane.");
});

test("every key built from a count, unit, column or state exists in every language", () => {
  const built = [
    ...COUNTS.map((name) => `feed.count_${name}`),
    ...UNITS.map((unit) => `feed.unit_${unit}`),
    ...["when", "source", "duration", "counts", "state"].map((name) => `feed.col_${name}`),
    ...["running", "done", "failed"].map((state) => `feed.state_${state}`),
  ];
  for (const lang of LANGUAGES) {
    const messages = locale(lang);
    assert.deepEqual(
      built.filter((key) => !(key in messages)),
      [],
      lang,
    );
  }
});

/** A `get` whose answers the test hands out one by one. */
function answers() {
  const calls = [];
  const get = (id) =>
    new Promise((resolve, reject) => {
      calls.push({ id, resolve, reject });
    });
  return { calls, get };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test("a watch looks every second, one request at a time, until the import is over", async () => {
  const timers = fakeTimers();
  const { calls, get } = answers();
  const seen = [];
  const watch = new ImportWatch({
    get,
    schedule: timers.schedule,
    handlers: {
      onUpdate: (r) => seen.push(["update", r.processed]),
      onDone: (r) => seen.push(["done", r.state]),
    },
  });
  watch.start("imp_1");
  assert.equal(calls.length, 1);
  timers.advance(5000);
  assert.equal(calls.length, 1, "no second look while the first is unanswered");
  calls[0].resolve({ id: "imp_1", state: "running", processed: 10 });
  await settle();
  assert.equal(timers.pending, 1);
  timers.advance(999);
  assert.equal(calls.length, 1);
  timers.advance(1);
  assert.equal(calls.length, 2);
  calls[1].resolve({ id: "imp_1", state: "done", processed: 30 });
  await settle();
  assert.deepEqual(seen, [
    ["update", 10],
    ["update", 30],
    ["done", "done"],
  ]);
  assert.equal(watch.id, null);
  assert.equal(timers.pending, 0);
});

test("a watch goes on after a failed look, and stops when the import is gone", async () => {
  const timers = fakeTimers();
  const { calls, get } = answers();
  const errors = [];
  const watch = new ImportWatch({
    get,
    schedule: timers.schedule,
    handlers: { onError: (error) => errors.push(error.code) },
  });
  watch.start("imp_1");
  calls[0].reject(new ApiError("offline", "down"));
  await settle();
  timers.advance(1000);
  assert.equal(calls.length, 2);
  calls[1].reject(new ApiError("not_found", "gone", 404));
  await settle();
  assert.deepEqual(errors, ["offline", "not_found"]);
  assert.equal(watch.id, null);
  timers.advance(10_000);
  assert.equal(calls.length, 2);
});

test("a stopped or replaced watch drops late answers, and a hidden panel stops it", async () => {
  const timers = fakeTimers();
  const { calls, get } = answers();
  const seen = [];
  let visible = true;
  const watch = new ImportWatch({
    get,
    schedule: timers.schedule,
    active: () => visible,
    handlers: { onUpdate: (r) => seen.push(r.id) },
  });
  watch.start("imp_1");
  watch.start("imp_2");
  calls[0].resolve({ id: "imp_1", state: "running" });
  calls[1].resolve({ id: "imp_2", state: "running" });
  await settle();
  assert.deepEqual(seen, ["imp_2"]);
  visible = false;
  timers.advance(1000);
  assert.equal(calls.length, 2);
  assert.equal(watch.id, null);
  watch.stop();
  assert.equal(timers.pending, 0);
});
