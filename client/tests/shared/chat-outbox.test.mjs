import assert from "node:assert/strict";
import { test } from "node:test";

import { ChatOutbox, localOutboxStorage } from "../../shared/chat-outbox.js";

function outbox() {
  let n = 0;
  return new ChatOutbox({ newId: () => `m${(n += 1)}`, now: () => 0 });
}

test("a typed message is queued with a client_id", () => {
  const box = outbox();
  const entry = box.add("hello");
  assert.equal(entry.client_id, "m1");
  assert.equal(entry.status, "queued");
});

test("take hands out queued messages once, oldest first", () => {
  const box = outbox();
  box.add("a");
  box.add("b");
  assert.deepEqual(
    box.take().map((e) => e.text),
    ["a", "b"],
  );
  assert.deepEqual(box.take(), []);
});

test("a message that failed for lack of connection is queued again", () => {
  const box = outbox();
  const { client_id } = box.add("a");
  box.take();
  box.settle(client_id, { ok: false, error: { code: "offline" } });
  assert.deepEqual(
    box.take().map((e) => e.client_id),
    [client_id],
  );
});

test("a refused message fails and is not resent until retried", () => {
  const box = outbox();
  const { client_id } = box.add("a");
  box.take();
  box.settle(client_id, { ok: false, error: { code: "bad_request", message: "too long" } });
  assert.equal(box.entries[0].status, "failed");
  assert.deepEqual(box.take(), []);
  box.retry(client_id);
  assert.equal(box.take().length, 1);
});

test("an acknowledged message is not resent and leaves once seen", () => {
  const box = outbox();
  const { client_id } = box.add("a");
  box.take();
  box.settle(client_id, { ok: true, seq: 4 });
  assert.deepEqual(box.take(), []);
  assert.equal(box.seen(client_id), true);
  assert.deepEqual(box.entries, []);
});

test("a message seen in a replay before its ack is never sent again", () => {
  const box = outbox();
  const { client_id } = box.add("a");
  box.take();
  box.seen(client_id);
  box.settle(client_id, { ok: false, error: { code: "offline" } });
  assert.deepEqual(box.take(), []);
});

test("with a storage every change is written through and a new outbox takes it over", () => {
  const saved = [];
  const storage = { load: () => saved.at(-1) ?? [], save: (entries) => saved.push(entries) };
  const outbox = new ChatOutbox({ storage });
  const a = outbox.add("a");
  const b = outbox.add("b");
  outbox.take();
  outbox.settle(b.client_id, { ok: false, error: { code: "forbidden" } });
  assert.deepEqual(
    saved.at(-1).map((entry) => [entry.text, entry.status]),
    [
      ["a", "sending"],
      ["b", "failed"],
    ],
  );
  const reloaded = new ChatOutbox({ storage });
  assert.deepEqual(
    reloaded.entries.map((entry) => [entry.client_id, entry.status]),
    [
      [a.client_id, "queued"],
      [b.client_id, "failed"],
    ],
    "what was in flight is sent again; a refused message stays refused",
  );
  reloaded.seen(a.client_id);
  reloaded.discard(b.client_id);
  assert.deepEqual(saved.at(-1), []);
});

test("localOutboxStorage survives unreadable data and a full storage", () => {
  const broken = {
    getItem: () => "{not json",
    setItem: () => {
      throw new Error("QuotaExceededError");
    },
    removeItem: () => {},
  };
  const storage = localOutboxStorage("k", broken);
  assert.deepEqual(storage.load(), []);
  assert.doesNotThrow(() => storage.save([{ client_id: "m", text: "x" }]));
  assert.equal(localOutboxStorage("k", null), null);
});

test("two tabs sharing a storage do not erase each other's unsent messages", () => {
  let stored = [];
  const storage = { load: () => stored, save: (entries) => (stored = entries) };
  let n = 0;
  const tab = () => new ChatOutbox({ storage, newId: () => `m${(n += 1)}`, now: () => n });
  const first = tab();
  const second = tab();
  const a = first.add("from the first tab");
  const b = second.add("from the second tab");
  assert.deepEqual(
    stored.map((entry) => entry.client_id),
    [a.client_id, b.client_id],
  );
  second.seen(b.client_id);
  assert.deepEqual(
    stored.map((entry) => entry.client_id),
    [a.client_id],
  );
  // The second tab sees the first tab's message arrive (same person, same conversation).
  second.seen(a.client_id);
  assert.deepEqual(stored, []);
  first.take();
  first.settle(a.client_id, { ok: true, seq: 4 });
  assert.deepEqual(
    stored.map((entry) => entry.client_id),
    [a.client_id],
    "its own tab keeps it until it sees it arrive",
  );
  first.seen(a.client_id);
  assert.deepEqual(stored, []);
});
