import assert from "node:assert/strict";
import { test } from "node:test";

import { scheduleWithTimeout } from "../../shared/schedule.js";

test("a scheduled function runs after its delay", async () => {
  const ran = await new Promise((resolve) => scheduleWithTimeout(() => resolve(true), 5));
  assert.equal(ran, true);
});

test("cancelling a scheduled function keeps it from running", async () => {
  let ran = false;
  const cancel = scheduleWithTimeout(() => (ran = true), 5);
  cancel();
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(ran, false);
});
