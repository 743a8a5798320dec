import assert from "node:assert/strict";
import { test } from "node:test";

class MemoryStorage {
  #items = new Map();
  get length() {
    return this.#items.size;
  }
  key(index) {
    return [...this.#items.keys()][index] ?? null;
  }
  getItem(key) {
    return this.#items.has(key) ? this.#items.get(key) : null;
  }
  setItem(key, value) {
    this.#items.set(key, String(value));
  }
  removeItem(key) {
    this.#items.delete(key);
  }
}

globalThis.window ??= { localStorage: new MemoryStorage(), sessionStorage: new MemoryStorage() };
const { StoredConversation, renewalDue } = await import("../../widget/store.js");

test("a token is renewed once less than half of its lifetime is left", () => {
  const day = 24 * 3600 * 1000;
  const issued = 1_000_000;
  const conversation = { expires_at: issued + 30 * day, issued_at: issued };
  assert.equal(renewalDue(conversation, issued + 14 * day), false);
  assert.equal(renewalDue(conversation, issued + 16 * day), true);
  assert.equal(renewalDue({ expires_at: null }, issued), false);
});

test("the shopper's claim is kept per server with the conversation that last got it", () => {
  const store = new StoredConversation("https://covisor.example");
  assert.equal(store.visitor, null);
  store.visitor = { claim: { name: "Ann" }, sent_to: null };
  assert.deepEqual(store.visitor, { claim: { name: "Ann" }, sent_to: null });
  const again = new StoredConversation("https://covisor.example");
  assert.deepEqual(again.visitor.claim, { name: "Ann" });
  assert.equal(new StoredConversation("https://other.example").visitor, null);
  store.visitor = { claim: { name: "Ann" }, sent_to: "c_1" };
  assert.equal(store.visitor.sent_to, "c_1");
  store.visitor = null;
  assert.equal(store.visitor, null);
});
