import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import {
  deliveryState,
  eventKey,
  summarise,
  WEBHOOK_EVENTS,
  webhookProblem,
} from "../../../console/admin/webhooks.js";

const locale = (lang) =>
  JSON.parse(readFileSync(new URL(`../../../locales/${lang}.json`, import.meta.url), "utf8"));
const english = locale("en");

test("a webhook needs an https URL of at most 2048 characters and a known event", () => {
  const ok = { url: "https://shop.example/hooks", events: ["message.created"] };
  assert.equal(webhookProblem(ok), null);
  assert.equal(webhookProblem({ ...ok, url: "  https://shop.example/h?x=1 " }), null);
  assert.equal(webhookProblem({ ...ok, url: "http://127.0.0.1:9/hooks" }), null);
  for (const url of [
    "",
    "shop.example/hooks",
    "http://shop.example/hooks",
    "ftp://shop.example/hooks",
    "https://user:pw@shop.example/hooks",
    `https://shop.example/${"x".repeat(2048)}`,
  ])
    assert.equal(webhookProblem({ ...ok, url }), "agent.webhooks.invalid_url", url);
  assert.equal(webhookProblem({ ...ok, events: [] }), "agent.webhooks.no_events");
  assert.equal(webhookProblem({ ...ok, events: ["ping"] }), "agent.webhooks.no_events");
});

test("a delivery's state names its status, attempts and the time that matters", () => {
  const at = (ms) => `t${ms}`;
  assert.deepEqual(
    deliveryState({ state: "delivered", attempts: 3, last_status: 200, delivered_at: 9 }, at),
    {
      key: "agent.webhooks.state_delivered",
      params: { status: 200, count: 3, time: "t9" },
      tone: "ok",
    },
  );
  assert.deepEqual(
    deliveryState({ state: "pending", attempts: 1, last_status: 500, next_attempt_at: 7 }, at),
    {
      key: "agent.webhooks.state_retrying",
      params: { status: 500, count: 1, time: "t7" },
      tone: "wait",
    },
  );
  const refused = { state: "pending", attempts: 2, last_status: null, last_error: "timeout" };
  assert.equal(deliveryState(refused, at).params.status, "timeout");
  assert.equal(deliveryState({ state: "pending", attempts: 0 }).key, "agent.webhooks.state_queued");
  assert.equal(
    deliveryState({ state: "failed", attempts: 9, last_status: 503 }).key,
    "agent.webhooks.state_failed",
  );
});

test("every webhook string is in every locale, with the same placeholders", () => {
  const keys = [
    ...WEBHOOK_EVENTS.map(eventKey),
    eventKey("ping"),
    ...Object.keys(english).filter((key) => key.startsWith("agent.webhooks.")),
  ];
  const placeholders = (entry) =>
    [...new Set([...JSON.stringify(entry).matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();
  for (const lang of ["en", "es", "de", "pl", "fr"]) {
    const messages = locale(lang);
    for (const key of keys) {
      assert.ok(Object.hasOwn(messages, key), `${lang}: ${key}`);
      assert.deepEqual(placeholders(messages[key]), placeholders(english[key]), `${lang}: ${key}`);
    }
  }
});

test("a hook's summary is worked out from its latest deliveries, newest first", () => {
  const deliveries = [
    { id: "d3", state: "pending" },
    { id: "d2", state: "delivered" },
    { id: "d1", state: "delivered" },
  ];
  assert.deepEqual(summarise(deliveries), {
    deliveries: { pending: 1, delivered: 2, failed: 0 },
    last_delivery: deliveries[0],
  });
  assert.deepEqual(summarise([]), {
    deliveries: { pending: 0, delivered: 0, failed: 0 },
    last_delivery: null,
  });
});
