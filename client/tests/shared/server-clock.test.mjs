import assert from "node:assert/strict";
import { test } from "node:test";

import { ServerClock } from "../../shared/server-clock.js";

test("the clock offset is now minus the round trip midpoint", () => {
  let local = 0;
  const clock = new ServerClock(() => local);
  assert.equal(clock.addSample(1000, 1100, 51_050), true);
  assert.equal(clock.offset, 50_000);
  local = 2000;
  assert.equal(clock.now(), 52_000);
});

test("only a sample with a shorter round trip replaces the estimate", () => {
  const clock = new ServerClock(() => 0);
  clock.addSample(0, 100, 5_050);
  assert.equal(clock.addSample(200, 400, 9_999_999), false);
  assert.equal(clock.offset, 5_000);
  assert.equal(clock.addSample(500, 520, 6_010), true);
  assert.equal(clock.offset, 5_500);
  assert.equal(clock.roundTrip, 20);
});

test("before any sample the clock is the local one and not synced", () => {
  const clock = new ServerClock(() => 1234);
  assert.equal(clock.synced, false);
  assert.equal(clock.roundTrip, Infinity);
  assert.equal(clock.now(), 1234);
  assert.equal(clock.addSample(10, 5, 99), false, "a negative round trip is ignored");
  assert.equal(clock.addSample(0, 10, Number.NaN), false, "a missing server time is ignored");
  assert.equal(clock.synced, false);
});
