import assert from "node:assert/strict";
import test from "node:test";

import {
  LatestSearch,
  RESULT_LIMIT,
  SEARCH_DELAY_MS,
  nextActive,
  searchPath,
} from "../../console/product-search.js";
import { fakeTimers } from "../fake-timers.mjs";

test("the search request carries the words, the filters and the limit", () => {
  assert.equal(
    searchPath({ q: "  zapatilla roja " }),
    `/api/catalogue/products?q=zapatilla+roja&limit=${RESULT_LIMIT}`,
  );
  assert.equal(
    searchPath({ q: "Zapatílla", inStock: true, brand: "Montaña Viva", limit: 5 }),
    "/api/catalogue/products?q=Zapat%C3%ADlla&in_stock=1&brand=Monta%C3%B1a+Viva&limit=5",
  );
  assert.equal(searchPath(), `/api/catalogue/products?q=&limit=${RESULT_LIMIT}`);
});

/** A `run` whose answers the test releases one by one, in any order. */
function controlledRun() {
  const calls = [];
  const run = (query) => new Promise((resolve, reject) => calls.push({ query, resolve, reject }));
  return { calls, run };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test("typing is debounced: one request once the typing pauses", async () => {
  const clock = fakeTimers();
  const { calls, run } = controlledRun();
  const shown = [];
  const search = new LatestSearch({
    run,
    onResults: (results, query) => shown.push([query.q, results]),
    schedule: clock.schedule,
  });
  for (const q of ["z", "za", "zap"]) {
    search.request({ q });
    clock.advance(SEARCH_DELAY_MS - 10);
  }
  assert.equal(calls.length, 0);
  assert.equal(search.pending, true);
  clock.advance(10);
  assert.equal(search.pending, false);
  assert.deepEqual(
    calls.map((call) => call.query.q),
    ["zap"],
  );
  calls[0].resolve(["hit"]);
  await settle();
  assert.deepEqual(shown, [["zap", ["hit"]]]);
});

test("an answer overtaken by a newer request is dropped, however late it comes", async () => {
  const clock = fakeTimers();
  const { calls, run } = controlledRun();
  const shown = [];
  const errors = [];
  const search = new LatestSearch({
    run,
    onResults: (results, query) => shown.push([query.q, results]),
    onError: (error, query) => errors.push([query.q, error.message]),
    schedule: clock.schedule,
  });
  search.request({ q: "zapa" });
  clock.advance(SEARCH_DELAY_MS);
  search.request({ q: "zapatilla" });
  clock.advance(SEARCH_DELAY_MS);
  assert.equal(calls.length, 2);
  calls[1].resolve(["new"]);
  await settle();
  calls[0].resolve(["old"]);
  await settle();
  assert.deepEqual(shown, [["zapatilla", ["new"]]]);

  // A request typed but not sent yet already makes the one in flight stale.
  search.request({ q: "zapatilla r" });
  clock.advance(SEARCH_DELAY_MS);
  search.request({ q: "zapatilla ro" });
  calls[2].reject(new Error("offline"));
  await settle();
  assert.deepEqual(errors, []);
  clock.advance(SEARCH_DELAY_MS);
  calls[3].reject(new Error("offline"));
  await settle();
  assert.deepEqual(errors, [["zapatilla ro", "offline"]]);
  assert.equal(shown.length, 1);
});

test("a filter change searches at once and cancels the typing's timer", async () => {
  const clock = fakeTimers();
  const { calls, run } = controlledRun();
  const search = new LatestSearch({ run, onResults: () => {}, schedule: clock.schedule });
  search.request({ q: "bota" });
  search.request({ q: "bota", inStock: true }, { now: true });
  assert.deepEqual(
    calls.map((call) => call.query),
    [{ q: "bota", inStock: true }],
  );
  clock.advance(SEARCH_DELAY_MS * 2);
  assert.equal(calls.length, 1);
});

test("arrows move the active result within the list, without wrapping", () => {
  assert.equal(nextActive(-1, 3, "ArrowDown"), 0);
  assert.equal(nextActive(0, 3, "ArrowDown"), 1);
  assert.equal(nextActive(2, 3, "ArrowDown"), 2);
  assert.equal(nextActive(2, 3, "ArrowUp"), 1);
  assert.equal(nextActive(0, 3, "ArrowUp"), 0);
  assert.equal(nextActive(-1, 3, "ArrowUp"), 0);
  assert.equal(nextActive(1, 3, "End"), 2);
  assert.equal(nextActive(2, 3, "Home"), 0);
  assert.equal(nextActive(1, 0, "ArrowDown"), -1);
  assert.equal(nextActive(4, 2, "x"), 1);
});
