import assert from "node:assert/strict";
import { test } from "node:test";

import {
  LatestThrottle,
  OrderedEmitter,
  POINT_FLUSH_MS,
  PointBatcher,
  coalesceOutgoing,
  rateClass,
} from "../../shared/outgoing.js";
import { DEFAULT_LIMITS, mergeLimits } from "../../shared/protocol.js";
import { fakeTimers } from "../fake-timers.mjs";

function batcher(options = {}) {
  const timers = fakeTimers();
  const batches = [];
  const points = new PointBatcher({
    flush: (batch, index) => batches.push({ at: timers.now(), points: batch, index }),
    start: [0, 0],
    now: timers.now,
    schedule: timers.schedule,
    ...options,
  });
  return { timers, batches, points };
}

/** A send() whose acks the test releases by hand, recording what was in flight. */
function manualSend() {
  const sent = [];
  const send = (event, payload) => new Promise((resolve) => sent.push({ event, payload, resolve }));
  return { sent, send };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test("the first points go out at once, placed after the start point", () => {
  const { points, batches } = batcher();
  points.add([0.1, 0.1]);
  assert.deepEqual(batches, [{ at: 0, points: [[0.1, 0.1]], index: 1 }]);
});

test("each batch carries the place of its first point in the stroke", () => {
  const { points, batches, timers } = batcher({ maxPoints: 3, minDistance: 0.01 });
  for (let i = 1; i <= 8; i += 1) points.add([i / 10, 0.5]);
  timers.advance(POINT_FLUSH_MS);
  points.add([0.9, 0.5]);
  points.add([0.901, 0.5]);
  points.finish();
  assert.deepEqual(
    batches.map((b) => [b.index, b.points.length]),
    [
      [1, 1],
      [2, 3],
      [5, 3],
      [8, 1],
      [9, 2],
    ],
  );
  const sent = [[0, 0], ...batches.flatMap((b) => b.points)];
  for (const batch of batches) assert.deepEqual(sent[batch.index], batch.points[0]);
});

test("points are flushed at most once per interval", () => {
  const { points, batches, timers } = batcher();
  points.add([0.1, 0.1]);
  timers.advance(5);
  points.add([0.2, 0.2]);
  timers.advance(5);
  points.add([0.3, 0.3]);
  assert.equal(batches.length, 1);
  timers.advance(POINT_FLUSH_MS);
  assert.deepEqual(
    batches.map((b) => b.at),
    [0, POINT_FLUSH_MS],
  );
  assert.deepEqual(batches[1].points, [
    [0.2, 0.2],
    [0.3, 0.3],
  ]);
  const gaps = batches.slice(1).map((b, i) => b.at - batches[i].at);
  assert.ok(gaps.every((gap) => gap >= POINT_FLUSH_MS));
});

test("points closer than the minimum distance are skipped", () => {
  const { points, batches } = batcher({ minDistance: 0.01 });
  points.add([0.001, 0.001]);
  points.add([0.002, 0.0]);
  assert.deepEqual(batches, []);
  points.add([0.05, 0.0]);
  assert.deepEqual(batches[0].points, [[0.05, 0.0]]);
});

test("add reports whether a point was kept", () => {
  const { points } = batcher({ minDistance: 0.01 });
  assert.equal(points.add([0.001, 0.0]), false);
  assert.equal(points.add([0.5, 0.0]), true);
});

test("finish delivers the pending points and a skipped last point", () => {
  const { points, batches, timers } = batcher({ minDistance: 0.01 });
  points.add([0.1, 0.1]);
  points.add([0.2, 0.2]);
  points.add([0.201, 0.2]);
  assert.deepEqual(points.finish(), [0.201, 0.2]);
  assert.deepEqual(batches.at(-1).points, [
    [0.2, 0.2],
    [0.201, 0.2],
  ]);
  timers.advance(1000);
  points.add([0.9, 0.9]);
  assert.equal(batches.length, 2);
});

test("a batch never holds more than the default 256 points", () => {
  const { points, batches } = batcher();
  points.add([0, 0.5]);
  for (let i = 1; i <= 600; i += 1) points.add([i / 1000, 0.5]);
  points.finish();
  assert.equal(DEFAULT_LIMITS.max_stroke_points, 256);
  assert.ok(batches.every((b) => b.points.length <= 256));
  assert.equal(Math.max(...batches.map((b) => b.points.length)), 256);
  assert.equal(
    batches.reduce((n, b) => n + b.points.length, 0),
    601,
  );
});

test("a batch follows the server's max_stroke_points when given", () => {
  const { points, batches } = batcher({ maxPoints: 10 });
  for (let i = 1; i <= 35; i += 1) points.add([i / 1000, 0.5]);
  assert.deepEqual(
    batches.map((b) => b.points.length),
    [1, 10, 10, 10],
  );
  points.finish();
  assert.equal(batches.at(-1).points.length, 4);
  assert.equal(
    batches.reduce((n, b) => n + b.points.length, 0),
    35,
  );
});

test("the emitter pipelines events in order without waiting for each ack", async () => {
  const { sent, send } = manualSend();
  const emitter = new OrderedEmitter({ send });
  const first = emitter.emit("stroke.begin", { conversation_id: "c", stroke_id: "s" });
  const second = emitter.emit("stroke.end", { conversation_id: "c", stroke_id: "s" });
  assert.deepEqual(
    sent.map((s) => s.event),
    ["stroke.begin", "stroke.end"],
  );
  assert.equal(emitter.inFlight, 2);
  sent[1].resolve({ ok: true, seq: 2 });
  sent[0].resolve({ ok: true, seq: 1 });
  assert.deepEqual(await first, { ok: true, seq: 1 });
  assert.deepEqual(await second, { ok: true, seq: 2 });
  assert.equal(emitter.size, 0);
});

test("no more than the window is in flight; the rest follows as acks come", async () => {
  const { sent, send } = manualSend();
  const emitter = new OrderedEmitter({ send, window: 3 });
  for (let i = 0; i < 5; i += 1) emitter.emit("chat.send", { conversation_id: "c", text: `${i}` });
  assert.equal(sent.length, 3);
  sent[0].resolve({ ok: true, seq: 1 });
  await tick();
  assert.deepEqual(
    sent.map((s) => s.payload.text),
    ["0", "1", "2", "3"],
  );
});

test("the emitter paces itself under the server's chat rate limit", async () => {
  const timers = fakeTimers();
  const { sent, send } = manualSend();
  const emitter = new OrderedEmitter({
    send,
    window: 100,
    now: timers.now,
    schedule: timers.schedule,
  });
  for (let i = 0; i < 12; i += 1) emitter.emit("chat.send", { conversation_id: "c", text: `${i}` });
  assert.equal(sent.length, 9, "a burst of 10, one kept back for joins");
  timers.advance(199);
  assert.equal(sent.length, 9);
  timers.advance(1);
  assert.equal(sent.length, 10, "then 5 per second");
  timers.advance(400);
  assert.equal(sent.length, 12);
  assert.deepEqual(
    sent.map((s) => s.payload.text),
    ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"],
  );
});

test("the emitter paces itself under the rate limits the server serves", async () => {
  const timers = fakeTimers();
  const { sent, send } = manualSend();
  const limits = mergeLimits({
    limits: { chat_rate: { rate: 2, burst: 3 }, stroke_rate: { rate: 0.5, burst: 2 } },
  });
  const emitter = new OrderedEmitter({
    send,
    window: 100,
    now: timers.now,
    schedule: timers.schedule,
    limits,
  });
  for (let i = 0; i < 5; i += 1) emitter.emit("chat.send", { conversation_id: "c", text: `${i}` });
  assert.equal(sent.length, 2, "a burst of 3, one kept back for joins");
  timers.advance(499);
  assert.equal(sent.length, 2);
  timers.advance(1);
  assert.equal(sent.length, 3, "then 2 per second");
  timers.advance(1000);
  assert.equal(sent.length, 5);

  // Other classes keep their own buckets: strokes at the served 0.5/s, the rest at the default.
  emitter.emit("stroke.clear", { conversation_id: "c" });
  emitter.emit("stroke.clear", { conversation_id: "c" });
  assert.equal(sent.length, 6, "a stroke burst of 2, one kept back");
  timers.advance(1999);
  assert.equal(sent.length, 6);
  timers.advance(1);
  assert.equal(sent.length, 7, "then one every 2 s");
});

test("every client event counts against one of the served rate limits", () => {
  assert.equal(rateClass("chat.send"), "chat_rate");
  assert.equal(rateClass("chat.typing"), "chat_rate");
  assert.equal(rateClass("stroke.points"), "stroke_rate");
  assert.equal(rateClass("viewer.transform"), "other_rate");
  assert.equal(rateClass("chat.read"), "other_rate");
  for (const name of ["chat_rate", "stroke_rate", "other_rate"]) {
    assert.ok(DEFAULT_LIMITS[name].rate > 0 && DEFAULT_LIMITS[name].burst >= 1, name);
  }
});

test("viewer.show goes alone: after the acks before it, and before anything after it", async () => {
  const { sent, send } = manualSend();
  const emitter = new OrderedEmitter({ send });
  emitter.emit("stroke.clear", { conversation_id: "c" });
  emitter.emit("viewer.show", { conversation_id: "c", media_id: "m" });
  emitter.emit("viewer.transform", { conversation_id: "c", zoom: 2, cx: 0.5, cy: 0.5 });
  assert.equal(sent.length, 1);
  sent[0].resolve({ ok: true, seq: 1 });
  await tick();
  assert.deepEqual(
    sent.map((s) => s.event),
    ["stroke.clear", "viewer.show"],
  );
  sent[1].resolve({ ok: true, seq: 2 });
  await tick();
  assert.equal(sent.length, 3);
});

test("product.send and cart.add go alone too: the server looks the product up first", async () => {
  for (const event of ["product.send", "cart.add"]) {
    const { sent, send } = manualSend();
    const emitter = new OrderedEmitter({ send });
    emitter.emit("chat.send", { conversation_id: "c", text: "before" });
    emitter.emit(event, { conversation_id: "c", product_id: "p" });
    emitter.emit("chat.send", { conversation_id: "c", text: "after" });
    assert.equal(sent.length, 1, event);
    sent[0].resolve({ ok: true, seq: 1 });
    await tick();
    assert.deepEqual(
      sent.map((s) => s.event),
      ["chat.send", event],
    );
    sent[1].resolve({ ok: true, seq: 2 });
    await tick();
    assert.equal(sent.length, 3, event);
  }
});

test("queued point batches of one stroke are merged into one event", async () => {
  const { sent, send } = manualSend();
  const emitter = new OrderedEmitter({ send, window: 1 });
  emitter.emit("stroke.begin", { conversation_id: "c", stroke_id: "s", points: [[0, 0]] });
  const a = emitter.emit("stroke.points", {
    conversation_id: "c",
    stroke_id: "s",
    index: 1,
    points: [[1, 1]],
  });
  const b = emitter.emit("stroke.points", {
    conversation_id: "c",
    stroke_id: "s",
    index: 2,
    points: [[2, 2]],
  });
  sent[0].resolve({ ok: true, seq: 1 });
  await tick();
  assert.equal(sent.length, 2);
  assert.deepEqual(sent[1].payload, {
    conversation_id: "c",
    stroke_id: "s",
    index: 1,
    points: [
      [1, 1],
      [2, 2],
    ],
  });
  sent[1].resolve({ ok: true });
  assert.deepEqual(await a, await b);
  assert.equal(emitter.size, 0);
});

test("only the latest queued transform is sent", async () => {
  const { sent, send } = manualSend();
  const emitter = new OrderedEmitter({ send, window: 1 });
  emitter.emit("viewer.transform", { conversation_id: "c", zoom: 1, cx: 0.5, cy: 0.5 });
  emitter.emit("viewer.transform", { conversation_id: "c", zoom: 2, cx: 0.5, cy: 0.5 });
  emitter.emit("viewer.transform", { conversation_id: "c", zoom: 3, cx: 0.4, cy: 0.5 });
  sent[0].resolve({ ok: true, seq: 1 });
  await tick();
  assert.deepEqual(
    sent.map((s) => s.payload.zoom),
    [1, 3],
  );
});

test("a rate-limited event is retried after retry_after", async () => {
  const timers = fakeTimers();
  const { sent, send } = manualSend();
  const emitter = new OrderedEmitter({ send, schedule: timers.schedule });
  const done = emitter.emit("chat.send", { conversation_id: "c", text: "hi" });
  sent[0].resolve({ ok: false, error: { code: "rate_limited", retry_after: 2 } });
  await tick();
  timers.advance(1999);
  await tick();
  assert.equal(sent.length, 1);
  timers.advance(1);
  await tick();
  assert.equal(sent.length, 2);
  sent[1].resolve({ ok: true, seq: 9 });
  assert.deepEqual(await done, { ok: true, seq: 9 });
});

test("a send that throws resolves as offline and the queue goes on", async () => {
  let calls = 0;
  const emitter = new OrderedEmitter({
    send: async () => {
      calls += 1;
      if (calls === 1) throw new Error("socket closed");
      return { ok: true, seq: 3 };
    },
  });
  const first = emitter.emit("chat.typing", { conversation_id: "c", typing: true });
  const second = emitter.emit("chat.send", { conversation_id: "c", text: "x" });
  assert.equal((await first).error.code, "offline");
  assert.deepEqual(await second, { ok: true, seq: 3 });
});

test("merged point batches keep the earlier index and skip what a batch sent again repeats", () => {
  const batch = (index, from, to) => ({
    event: "stroke.points",
    payload: {
      conversation_id: "c",
      stroke_id: "s",
      index,
      points: Array.from({ length: to - from }, (_, i) => [(from + i) / 100, 0]),
    },
  });
  assert.deepEqual(coalesceOutgoing(batch(1, 1, 3), batch(3, 3, 5)), batch(1, 1, 5).payload);
  assert.deepEqual(
    coalesceOutgoing(batch(4, 4, 9), batch(6, 6, 11)),
    batch(4, 4, 11).payload,
    "overlapping: the repeated points once",
  );
  assert.deepEqual(coalesceOutgoing(batch(4, 4, 9), batch(5, 5, 7)), batch(4, 4, 9).payload);
  assert.equal(coalesceOutgoing(batch(1, 1, 3), batch(4, 4, 5)), null, "a hole between them");
});

test("events of different strokes or conversations are never merged", () => {
  const points = (conversation_id, stroke_id) => ({
    event: "stroke.points",
    payload: { conversation_id, stroke_id, points: [[0, 0]] },
  });
  assert.equal(coalesceOutgoing(points("c", "a"), points("c", "b")), null);
  assert.equal(coalesceOutgoing(points("c", "a"), points("d", "a")), null);
  const full = {
    event: "stroke.points",
    payload: { conversation_id: "c", stroke_id: "a", points: Array(256).fill([0, 0]) },
  };
  assert.equal(coalesceOutgoing(full, points("c", "a")), null);
  const ten = { ...full, payload: { ...full.payload, points: Array(10).fill([0, 0]) } };
  assert.equal(coalesceOutgoing(ten, points("c", "a")).points.length, 11);
  assert.equal(coalesceOutgoing(ten, points("c", "a"), 10), null, "a lower server limit");
  const chat = { event: "chat.send", payload: { conversation_id: "c", text: "a" } };
  assert.equal(coalesceOutgoing(chat, chat), null);
});

function throttle() {
  const timers = fakeTimers();
  const sent = [];
  const gate = new LatestThrottle({
    send: (value) => sent.push({ at: timers.now(), value }),
    intervalMs: 100,
    now: timers.now,
    schedule: timers.schedule,
  });
  return { timers, sent, gate };
}

test("the throttle sends the first value at once and the latest one after the interval", () => {
  const { timers, sent, gate } = throttle();
  gate.push(1);
  timers.advance(10);
  gate.push(2);
  gate.push(3);
  assert.deepEqual(sent, [{ at: 0, value: 1 }]);
  timers.advance(90);
  assert.deepEqual(sent, [
    { at: 0, value: 1 },
    { at: 100, value: 3 },
  ]);
});

test("flush sends the waiting value immediately and cancel drops it", () => {
  const { timers, sent, gate } = throttle();
  gate.push("a");
  gate.push("b");
  gate.flush();
  gate.push("c");
  gate.cancel();
  timers.advance(1000);
  assert.deepEqual(
    sent.map((s) => s.value),
    ["a", "b"],
  );
});
