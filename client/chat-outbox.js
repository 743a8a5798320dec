/**
 * Outgoing chat messages that the conversation has not shown yet.
 *
 * Every message gets a `client_id` when typed. It is sent with `chat.send`; while offline it
 * waits here and is sent again after the next successful `join`. A message leaves the outbox only
 * when a `chat.message` event carrying its `client_id` is applied, so a message whose ack was lost
 * but which the server stored is recognised in the replay and not sent twice (the server also
 * de-duplicates on `client_id`). No DOM, no sockets.
 */

import { randomId } from "./outgoing.js";

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

export class ChatOutbox {
  #entries = new Map();
  #newId;
  #now;

  /**
   * @param {object} [options]
   * @param {() => string} [options.newId] client_id generator (≤ 64 chars)
   * @param {() => number} [options.now]
   */
  constructor({ newId = () => randomId("m_", 20), now = () => Date.now() } = {}) {
    this.#newId = newId;
    this.#now = now;
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
      return;
    }
    const code = ack?.error?.code ?? "internal";
    entry.error = code;
    entry.status = RETRYABLE.has(code) ? "queued" : "failed";
  }

  /** The conversation now shows the message with this client_id: forget it. */
  seen(clientId) {
    return this.#entries.delete(clientId);
  }

  /** Put a failed message back in the queue (the user pressed "retry"). */
  retry(clientId) {
    const entry = this.#entries.get(clientId);
    if (entry && entry.status === "failed") {
      entry.status = "queued";
      entry.error = null;
    }
  }

  /** Drop a message the user gave up on. */
  discard(clientId) {
    this.#entries.delete(clientId);
  }
}
