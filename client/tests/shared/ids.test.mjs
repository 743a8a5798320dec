import assert from "node:assert/strict";
import { test } from "node:test";

import { randomId } from "../../shared/ids.js";

test("random ids have the prefix and length asked for and differ", () => {
  const a = randomId("m_", 20);
  assert.match(a, /^m_[0-9a-z]{20}$/);
  assert.notEqual(a, randomId("m_", 20));
});

test("random ids default to 16 characters without a prefix", () => {
  assert.match(randomId(), /^[0-9a-z]{16}$/);
});
