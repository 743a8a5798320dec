/**
 * One authenticated Socket.IO connection to the server, shared by the conversations it carries.
 *
 * socket.io-client reconnects by itself after a network drop; on every (re)connect this class
 * re-estimates the server clock and asks each registered conversation session to `join` again,
 * which is how a client catches up (see `ConversationSession.join`). Sequenced events and the
 * typing, presence, view and stroke `points` pushes are routed to the session of their
 * `conversation_id`. `request` never rejects: transport failures come back as acks in
 * PROTOCOL.md's error shape with the client-side codes `offline` and `timeout`, so callers
 * handle one shape.
 *
 * Events dispatched: `online`, `offline`, `unauthorized` (detail: server message), `queue`
 * (detail: the queue payload, agents only), `assigned` (detail: the summary of a conversation
 * that became the agent's), `visitors` (detail: `{visitors}` whose page changed, agents only),
 * `invitation` (detail: an invitation of the agent's that its visitor answered, agents only).
 */

import { Events } from "./protocol.js";
import { ServerClock } from "./server-clock.js";
import { io } from "../vendor/socket.io.esm.min.js";

const ACK_TIMEOUT_MS = 10_000;
const TIME_SAMPLES = 4;
const REFUSED_RETRY_MS = 5_000;

const offlineAck = (code, message) => ({ ok: false, error: { code, message } });

export class Connection extends EventTarget {
  /** Server clock estimate, refreshed on each connect. */
  clock = new ServerClock();
  #socket = null;
  #sessions = new Map();
  #pending = new Set();
  #closed = false;
  /**
   * The browser went offline: drop the transport so the `offline` event (and reconnecting)
   * comes now. engine.io-client does this itself, but with two connections on a page (the
   * widget's visitor socket beside this one) its shared listener skips one of them.
   */
  #browserOffline = () => this.#socket?.io?.engine?.close();

  /**
   * @param {object} options
   * @param {string} options.origin server origin
   * @param {string} options.token Bearer token (agent, customer or caller)
   */
  constructor({ origin, token }) {
    super();
    this.origin = origin;
    this.token = token;
  }

  get online() {
    return Boolean(this.#socket?.connected);
  }

  /** Open the socket (idempotent). */
  connect() {
    if (this.#socket) return;
    globalThis.addEventListener?.("offline", this.#browserOffline);
    this.#closed = false;
    // A WebSocket at once (no long-polling handshake and upgrade first); long-polling only
    // where a WebSocket cannot open (a proxy that refuses the upgrade).
    const socket = io(this.origin, {
      auth: (send) => send({ token: this.token }),
      transports: ["websocket", "polling"],
      tryAllTransports: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
    });
    this.#socket = socket;
    socket.on("connect", () => this.#onConnect());
    socket.on("disconnect", (reason) => this.#onDisconnect(reason));
    socket.on("connect_error", (error) => this.#onConnectError(error));
    socket.on(Events.EVENT, (event) => this.#sessions.get(event?.conversation_id)?.receive(event));
    socket.on(Events.TYPING, (message) =>
      this.#sessions.get(message?.conversation_id)?.onTyping(message),
    );
    socket.on(Events.PRESENCE, (message) =>
      this.#sessions.get(message?.conversation_id)?.onPresence(message),
    );
    socket.on(Events.VIEW, (message) =>
      this.#sessions.get(message?.conversation_id)?.onView(message),
    );
    socket.on(Events.POINTS, (message) =>
      this.#sessions.get(message?.conversation_id)?.onPoints(message),
    );
    socket.on(Events.ASSIGNED, (summary) =>
      this.dispatchEvent(new CustomEvent("assigned", { detail: summary })),
    );
    socket.on(Events.VISITORS, (message) =>
      this.dispatchEvent(new CustomEvent("visitors", { detail: message })),
    );
    socket.on(Events.INVITATION, (invitation) =>
      this.dispatchEvent(new CustomEvent("invitation", { detail: invitation })),
    );
    socket.on(Events.QUEUE, (message) =>
      this.dispatchEvent(new CustomEvent("queue", { detail: message })),
    );
  }

  /** Close for good (logout, conversation switch); pending requests resolve as offline. */
  close() {
    this.#closed = true;
    globalThis.removeEventListener?.("offline", this.#browserOffline);
    this.#socket?.disconnect();
    this.#socket = null;
    this.#settlePending("offline");
  }

  /** Route a session's pushes through this connection; joins it now when connected. */
  register(session) {
    this.#sessions.set(session.conversationId, session);
    if (this.online) session.join();
  }

  unregister(session) {
    if (this.#sessions.get(session.conversationId) === session) {
      this.#sessions.delete(session.conversationId);
    }
  }

  /**
   * Emit `event` with an ack callback. Resolves with the server's ack, or with
   * `{ok: false, error: {code: "offline"|"timeout"}}` when it cannot be delivered or answered.
   */
  request(event, payload, timeoutMs = ACK_TIMEOUT_MS) {
    const socket = this.#socket;
    if (!socket?.connected) return Promise.resolve(offlineAck("offline", "not connected"));
    return new Promise((resolve) => {
      const entry = { resolve };
      this.#pending.add(entry);
      socket.timeout(timeoutMs).emit(event, payload, (error, ack) => {
        if (!this.#pending.delete(entry)) return;
        resolve(error ? offlineAck("timeout", "no answer from the server") : ack);
      });
    });
  }

  async #onConnect() {
    this.dispatchEvent(new Event("online"));
    for (const session of this.#sessions.values()) session.join();
    for (let i = 0; i < TIME_SAMPLES && this.online; i += 1) {
      const sentAt = this.clock.localNow();
      const ack = await this.request(Events.TIME, {});
      if (ack?.ok) this.clock.addSample(sentAt, this.clock.localNow(), ack.now);
    }
  }

  #onDisconnect(reason) {
    this.#settlePending("offline");
    for (const session of this.#sessions.values()) session.disconnected();
    this.dispatchEvent(new Event("offline"));
    if (reason === "io server disconnect" && !this.#closed) this.#socket?.connect();
  }

  #onConnectError(error) {
    if (this.#closed) return;
    this.dispatchEvent(new Event("offline"));
    if (error?.data?.code === "unauthorized") {
      this.dispatchEvent(new CustomEvent("unauthorized", { detail: error.message }));
      return;
    }
    // A refusal by the server (not a transport failure) is not retried by socket.io-client.
    if (this.#socket && !this.#socket.active) {
      setTimeout(() => !this.#closed && this.#socket?.connect(), REFUSED_RETRY_MS);
    }
  }

  #settlePending(code) {
    for (const entry of this.#pending) entry.resolve(offlineAck(code, "connection lost"));
    this.#pending.clear();
  }
}
