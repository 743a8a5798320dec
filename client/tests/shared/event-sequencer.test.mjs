import assert from "node:assert/strict";
import { test } from "node:test";

import { EventSequencer, GAP_TIMEOUT_MS } from "../../shared/event-sequencer.js";
import { fakeTimers } from "../fake-timers.mjs";

const ev = (seq) => ({ seq, type: "chat.message", data: { text: `#${seq}` } });

function setup() {
  const timers = fakeTimers();
  const applied = [];
  const resyncs = [];
  const sequencer = new EventSequencer({
    apply: (event) => applied.push(event.seq),
    resync: (lastSeq) => resyncs.push(lastSeq),
    schedule: timers.schedule,
  });
  return { timers, applied, resyncs, sequencer };
}

test("events in order are applied at once", () => {
  const { sequencer, applied } = setup();
  [1, 2, 3].forEach((seq) => sequencer.receive(ev(seq)));
  assert.deepEqual(applied, [1, 2, 3]);
  assert.equal(sequencer.lastSeq, 3);
});

test("an early event is held back until its predecessor arrives", () => {
  const { sequencer, applied } = setup();
  sequencer.receive(ev(1));
  sequencer.receive(ev(3));
  sequencer.receive(ev(4));
  assert.deepEqual(applied, [1]);
  assert.equal(sequencer.heldCount, 2);
  sequencer.receive(ev(2));
  assert.deepEqual(applied, [1, 2, 3, 4]);
  assert.equal(sequencer.hasGap, false);
});

test("duplicates and already applied events are dropped", () => {
  const { sequencer, applied } = setup();
  [1, 2, 2, 1, 3, 3].forEach((seq) => sequencer.receive(ev(seq)));
  assert.deepEqual(applied, [1, 2, 3]);
});

test("a gap lasting longer than the timeout asks for a resync from the last seq", () => {
  const { sequencer, resyncs, timers } = setup();
  sequencer.receive(ev(1));
  sequencer.receive(ev(3));
  timers.advance(GAP_TIMEOUT_MS - 1);
  assert.deepEqual(resyncs, []);
  timers.advance(2);
  assert.deepEqual(resyncs, [1]);
});

test("a gap filled before the timeout does not resync", () => {
  const { sequencer, resyncs, timers } = setup();
  sequencer.receive(ev(1));
  sequencer.receive(ev(3));
  timers.advance(GAP_TIMEOUT_MS / 2);
  sequencer.receive(ev(2));
  timers.advance(GAP_TIMEOUT_MS * 2);
  assert.deepEqual(resyncs, []);
  assert.equal(timers.pending, 0);
});

test("more events behind the same hole do not postpone the resync", () => {
  const { sequencer, resyncs, timers } = setup();
  sequencer.receive(ev(1));
  sequencer.receive(ev(3));
  timers.advance(1500);
  sequencer.receive(ev(4));
  timers.advance(600);
  assert.deepEqual(resyncs, [1]);
});

test("the gap timer restarts when the hole moves forward", () => {
  const { sequencer, resyncs, timers } = setup();
  sequencer.receive(ev(1));
  sequencer.receive(ev(3));
  sequencer.receive(ev(5));
  timers.advance(1500);
  sequencer.receive(ev(2));
  timers.advance(1000);
  assert.deepEqual(resyncs, []);
  timers.advance(1100);
  assert.deepEqual(resyncs, [3]);
});

test("events arriving before a snapshot ack are buffered and only newer ones applied", () => {
  const { sequencer, applied } = setup();
  sequencer.beginJoin();
  sequencer.receive(ev(41));
  sequencer.receive(ev(42));
  sequencer.receive(ev(43));
  assert.deepEqual(applied, []);
  sequencer.completeJoin({ ok: true, mode: "snapshot", seq: 42, snapshot: {} });
  assert.deepEqual(applied, [43]);
  assert.equal(sequencer.lastSeq, 43);
});

test("a replay applies its events then buffered newer ones, without duplicates", () => {
  const { sequencer, applied } = setup();
  [1, 2].forEach((seq) => sequencer.receive(ev(seq)));
  sequencer.beginJoin();
  sequencer.receive(ev(5));
  sequencer.receive(ev(6));
  sequencer.completeJoin({ ok: true, mode: "replay", seq: 5, events: [ev(3), ev(4), ev(5)] });
  assert.deepEqual(applied, [1, 2, 3, 4, 5, 6]);
});

test("a replay that repeats events already applied skips them", () => {
  const { sequencer, applied } = setup();
  [1, 2, 3].forEach((seq) => sequencer.receive(ev(seq)));
  sequencer.beginJoin();
  sequencer.completeJoin({ ok: true, mode: "replay", seq: 4, events: [ev(2), ev(3), ev(4)] });
  assert.deepEqual(applied, [1, 2, 3, 4]);
});

test("a resync snapshot keeps held events newer than the snapshot", () => {
  const { sequencer, applied, resyncs, timers } = setup();
  sequencer.receive(ev(1));
  sequencer.receive(ev(4));
  sequencer.receive(ev(6));
  timers.advance(GAP_TIMEOUT_MS + 1);
  assert.deepEqual(resyncs, [1]);
  sequencer.beginJoin();
  sequencer.completeJoin({ ok: true, mode: "snapshot", seq: 5, snapshot: {} });
  assert.deepEqual(applied, [1, 6]);
  assert.equal(sequencer.hasGap, false);
});

test("no resync fires while a join is in progress", () => {
  const { sequencer, resyncs, timers } = setup();
  sequencer.receive(ev(1));
  sequencer.receive(ev(3));
  sequencer.beginJoin();
  timers.advance(GAP_TIMEOUT_MS * 3);
  assert.deepEqual(resyncs, []);
});

test("an aborted join releases the buffered events in order", () => {
  const { sequencer, applied } = setup();
  sequencer.beginJoin();
  sequencer.receive(ev(2));
  sequencer.receive(ev(1));
  sequencer.abortJoin();
  assert.deepEqual(applied, [1, 2]);
  assert.equal(sequencer.joining, false);
});

test("reset forgets the cursor, held events and timers", () => {
  const { sequencer, timers, resyncs } = setup();
  sequencer.receive(ev(1));
  sequencer.receive(ev(3));
  sequencer.reset();
  timers.advance(GAP_TIMEOUT_MS * 2);
  assert.deepEqual(resyncs, []);
  assert.equal(sequencer.lastSeq, 0);
  assert.equal(sequencer.heldCount, 0);
});
