/**
 * Outgoing chat messages that the conversation has not shown yet.
 *
 * Every message gets a `client_id` when typed. It is sent with `chat.send`; while offline it
 * waits here and is sent again after the next successful `join`. A message leaves the outbox only
 * when a `chat.message` event carrying its `client_id` is applied, so a message whose ack was lost
 * but which the server stored is recognised in the replay and not sent twice (the server also
 * de-duplicates on `client_id`).
 *
 * With a `storage` (`localOutboxStorage`) every change is written through, so a reload, a crash
 * or a navigation loses nothing: the next page loads the entries and sends them again after its
 * join, with the same `client_id`s, and the server answers a repeat with the first one's `seq`
 * instead of storing it twice. No DOM, no sockets.
 */

import { randomId } from "./ids.js";

/** Error codes after which sending the same message again may succeed. */
const RETRYABLE = new Set(["offline", "timeout", "cancelled", "internal", "rate_limited"]);

/**
 * @typedef {object} OutboxEntry
 * @property {string} client_id
 * @property {string} text
 * @property {"queued"|"sending"|"sent"|"failed"} status
 * @property {string|null} error error code of the last failed attempt
 * @property {number} createdAt local ms
 */

/**
 * @typedef {object} OutboxStorage
 * @property {() => Array<object>} load the entries saved last (none: `[]`)
 * @property {(entries: Array<object>) => void} save
 */

/** Most characters of storage one outbox may take (localStorage holds about 5 M per origin). */
const MAX_STORED_CHARS = 1_000_000;

/**
 * An `OutboxStorage` in `localStorage` under `key` (one per conversation and person), or null
 * where there is no localStorage. Unreadable or unwritable storage loses only the persistence.
 */
export function localOutboxStorage(key, store = globalThis.localStorage) {
  if (!store) return null;
  return {
    load() {
      try {
        const value = JSON.parse(store.getItem(key) ?? "[]");
        return Array.isArray(value) ? value : [];
      } catch {
        return [];
      }
    },
    save(entries) {
      try {
        if (entries.length === 0) {
          store.removeItem(key);
          return;
        }
        const text = JSON.stringify(entries);
        if (text.length <= MAX_STORED_CHARS) store.setItem(key, text);
      } catch {
        // Private mode or quota: the messages are still sent from memory.
      }
    },
  };
}

/** A stored entry as this page takes it over: what was in flight is sent again. */
function restored(value) {
  if (typeof value?.client_id !== "string" || typeof value?.text !== "string") return null;
  const failed = value.status === "failed";
  return {
    client_id: value.client_id,
    text: value.text,
    status: failed ? "failed" : "queued",
    error: failed ? (value.error ?? null) : null,
    createdAt: Number(value.createdAt) || 0,
  };
}

export class ChatOutbox {
  #entries = new Map();
  #newId;
  #now;
  #storage;
  /** client_ids seen in the conversation or given up on here: never written back. */
  #gone = new Set();

  /**
   * @param {object} [options]
   * @param {() => string} [options.newId] client_id generator (≤ 64 chars)
   * @param {() => number} [options.now]
   * @param {OutboxStorage|null} [options.storage] where entries survive the page
   */
  constructor({ newId = () => randomId("m_", 20), now = () => Date.now(), storage = null } = {}) {
    this.#newId = newId;
    this.#now = now;
    this.#storage = storage;
    for (const value of storage?.load() ?? []) {
      const entry = restored(value);
      if (entry && !this.#entries.has(entry.client_id)) this.#entries.set(entry.client_id, entry);
    }
  }

  /**
   * Write this outbox through, keeping what another tab of the same conversation stored and this
   * one never had nor saw arrive (so two tabs do not erase each other's unsent messages).
   */
  #save() {
    if (!this.#storage) return;
    const others = this.#storage
      .load()
      .filter(
        (value) =>
          typeof value?.client_id === "string" &&
          !this.#entries.has(value.client_id) &&
          !this.#gone.has(value.client_id),
      );
    const mine = this.entries.map((entry) => ({ ...entry }));
    const all = [...others, ...mine].sort((a, b) => (a.createdAt ?? 0) - (b.createdAt ?? 0));
    this.#storage.save(all);
  }

  /** Entries not yet seen in the conversation, oldest first. */
  get entries() {
    return [...this.#entries.values()];
  }

  /** Add a typed message; it is `queued` until `take` hands it out. */
  add(text) {
    const entry = {
      client_id: this.#newId(),
      text,
      status: "queued",
      error: null,
      createdAt: this.#now(),
    };
    this.#entries.set(entry.client_id, entry);
    this.#save();
    return entry;
  }

  /** Queued entries to send now, oldest first; they become `sending`. */
  take() {
    const ready = this.entries.filter((entry) => entry.status === "queued");
    for (const entry of ready) entry.status = "sending";
    return ready;
  }

  /** Record the ack of a send: ok → `sent`; a retryable error → `queued`; else `failed`. */
  settle(clientId, ack) {
    const entry = this.#entries.get(clientId);
    if (!entry) return;
    if (ack?.ok) {
      entry.status = "sent";
      entry.error = null;
    } else {
      const code = ack?.error?.code ?? "internal";
      entry.error = code;
      entry.status = RETRYABLE.has(code) ? "queued" : "failed";
    }
    this.#save();
  }

  /** The conversation now shows the message with this client_id: forget it. */
  seen(clientId) {
    const had = this.#entries.delete(clientId);
    this.#gone.add(clientId);
    // Another tab's message arriving here is also cleared from the storage.
    if (had || this.#storage?.load().some((value) => value?.client_id === clientId)) this.#save();
    return had;
  }

  /** Put a failed message back in the queue (the user pressed "retry"). */
  retry(clientId) {
    const entry = this.#entries.get(clientId);
    if (entry && entry.status === "failed") {
      entry.status = "queued";
      entry.error = null;
      this.#save();
    }
  }

  /** Drop a message the user gave up on. */
  discard(clientId) {
    this.#gone.add(clientId);
    if (this.#entries.delete(clientId)) this.#save();
  }
}
