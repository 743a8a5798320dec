/**
 * One conversation as seen by this client, bound to a `Connection`: joins and catches up, keeps
 * the `ConversationState`, sends chat (through the offline outbox), viewer and stroke events in
 * order, and tracks who is typing or online. No DOM: views listen to its `change` events.
 *
 * The points of a stroke are not sequenced: others' arrive as `points` pushes, and the server
 * may lack some of the local user's (sent while the connection was down, or lost when the server
 * restarted mid-stroke). So while the local user has strokes the server accepted and has not
 * ended, a join asks for a snapshot, which tells how far the server has each, and the session
 * sends the rest (see `join`).
 *
 * `change` detail: `{change, event?}` where `change` is a `Change` value, "outbox", "typing",
 * "presence", "joined" or "error" (with `error`).
 */

import { ChatOutbox, localOutboxStorage } from "./chat-outbox.js";
import { ConversationState } from "./conversation-state.js";
import { EventSequencer } from "./event-sequencer.js";
import { LatestThrottle, OrderedEmitter, coalesceOutgoing } from "./outgoing.js";
import { DEFAULT_LIMITS, Events } from "./protocol.js";
import { scheduleWithTimeout } from "./schedule.js";

const TRANSFORM_INTERVAL_MS = 80;
/** `viewer.view` is ephemeral and shares the "other events" rate bucket: a few per second. */
const VIEW_INTERVAL_MS = 300;

/** In a browser, unsent messages are kept per conversation and person in localStorage. */
function defaultOutboxStorage(conversationId, selfId) {
  if (typeof window === "undefined" || !selfId) return null;
  try {
    return localOutboxStorage(`covisor:outbox:${conversationId}:${selfId}`, window.localStorage);
  } catch {
    return null; // storage disabled: reading window.localStorage throws
  }
}
const TYPING_REPEAT_MS = 3000;
const TYPING_IDLE_MS = 4000;
const PEER_TYPING_TTL_MS = 8000;

export class ConversationSession extends EventTarget {
  /** True between a successful join ack and the next disconnect. */
  joined = false;
  /** actor id → actor, for other members currently typing. */
  typing = new Map();
  /** actor id → `{actor, cx, cy, w, h}`: the region each other member last said they see. */
  views = new Map();
  /**
   * actor id → actor, for other members with a socket in the room: those the join answer lists
   * as online, then kept up to date by `presence` pushes.
   */
  present = new Map();
  /** actor id → actor, for other members seen leaving and not back. */
  departed = new Map();
  #connection;
  #sequencer;
  #emitter;
  #transforms;
  #views;
  #lastTransformAck = Promise.resolve({ ok: true });
  #joining = null;
  /** `points` pushes that arrived while a join was in flight, applied after it. */
  #pointsDuringJoin = [];
  /** Stroke commands sent while a join that resyncs strokes is in flight, sent after it. */
  #heldStrokeCommands = null;
  #typingSentAt = 0;
  #typingActive = false;
  #cancelTypingIdle = null;
  #peerTimers = new Map();
  #readSent = 0;

  /**
   * @param {object} options
   * @param {import("./connection.js").Connection} options.connection
   * @param {string} options.conversationId
   * @param {string|null} options.selfId the local actor id (from `GET /api/me`)
   * @param {typeof DEFAULT_LIMITS} [options.limits] the server's limits (`loadLimits`)
   * @param {import("./chat-outbox.js").OutboxStorage|null} [options.outboxStorage] where unsent
   *   messages survive a reload; in a browser `localStorage` under
   *   `covisor:outbox:<conversation>:<self>` by default, none elsewhere
   * @param {number} [options.sendWindow] most events in flight at once (`OrderedEmitter`)
   */
  constructor({
    connection,
    conversationId,
    selfId,
    limits = DEFAULT_LIMITS,
    outboxStorage = defaultOutboxStorage(conversationId, selfId),
    sendWindow = undefined,
  }) {
    super();
    this.#connection = connection;
    this.conversationId = conversationId;
    this.selfId = selfId;
    /** The server's limits this session keeps to (stroke batches here and in the pen). */
    this.limits = limits;
    this.state = new ConversationState(conversationId, selfId);
    this.outbox = new ChatOutbox({ storage: outboxStorage });
    this.#sequencer = new EventSequencer({
      apply: (event) => this.#apply(event),
      resync: () => this.join(),
    });
    this.#emitter = new OrderedEmitter({
      // The server answers a sequenced command with its event and does not push it again.
      send: (event, payload) =>
        this.#connection.request(event, payload).then((ack) => {
          if (ack?.ok && ack.event) this.receive(ack.event);
          return ack;
        }),
      coalesce: (queued, next) => coalesceOutgoing(queued, next, limits.max_stroke_points),
      window: sendWindow,
      limits,
    });
    this.#transforms = new LatestThrottle({
      intervalMs: TRANSFORM_INTERVAL_MS,
      send: (transform) => {
        this.#lastTransformAck = this.send(Events.VIEWER_TRANSFORM, transform);
      },
    });
    this.#views = new LatestThrottle({
      intervalMs: VIEW_INTERVAL_MS,
      send: (region) => {
        if (!this.joined) return;
        this.#connection.request(Events.VIEWER_VIEW, {
          conversation_id: this.conversationId,
          ...region,
        });
      },
    });
  }

  /** Server clock estimate of the underlying connection. */
  get clock() {
    return this.#connection.clock;
  }

  get online() {
    return this.#connection.online;
  }

  /** Start receiving this conversation's pushes (joins when connected). */
  open() {
    this.#connection.register(this);
  }

  /** Leave the room and stop receiving pushes. */
  async close() {
    this.#connection.unregister(this);
    this.#sequencer.reset();
    this.#pointsDuringJoin = [];
    for (const command of this.#heldStrokeCommands ?? []) {
      command.resolve({ ok: false, error: { code: "cancelled", message: "not sent" } });
    }
    this.#heldStrokeCommands = null;
    this.#emitter.cancelPending();
    this.#transforms.cancel();
    this.#views.cancel();
    if (this.joined) {
      this.joined = false;
      await this.#connection.request(Events.LEAVE, { conversation_id: this.conversationId });
    }
  }

  /**
   * Join (or re-join after a reconnect or a gap) and catch up: a replay from `last_seq` when the
   * server still has it, else a snapshot. Concurrent calls share one join.
   *
   * While the local user has strokes the server accepted and has not ended, the join asks for a
   * snapshot (no `last_seq`) and resyncs them: one the server has open gets the local points
   * beyond those it has and, once the pen is lifted, its `stroke.end`; one it no longer has, or
   * has ended, leaves the local overlay. Stroke commands sent meanwhile wait for the resync, so a
   * `stroke.end` cannot reach the server before the points it lacks.
   */
  join() {
    this.#joining ??= this.#join().finally(() => {
      this.#joining = null;
    });
    return this.#joining;
  }

  async #join() {
    const payload = { conversation_id: this.conversationId };
    // Strokes accepted before the join: only for those does the snapshot tell what the server has.
    const resync = new Set(
      this.state
        .localStrokes()
        .filter((stroke) => stroke.accepted)
        .map((stroke) => stroke.stroke_id),
    );
    if (resync.size > 0) this.#heldStrokeCommands = [];
    else if (this.#sequencer.lastSeq > 0) payload.last_seq = this.#sequencer.lastSeq;
    this.#sequencer.beginJoin();
    const ack = await this.#connection.request(Events.JOIN, payload);
    if (!ack?.ok) {
      this.#sequencer.abortJoin();
      this.#applyPointsDuringJoin();
      this.#resyncStrokes(new Set());
      if (ack?.error?.code !== "offline") this.#emit("error", { error: ack?.error });
      return ack;
    }
    if (ack.mode === "snapshot") this.state.loadSnapshot(ack.snapshot);
    this.#sequencer.completeJoin(ack);
    this.#applyPointsDuringJoin();
    this.#resyncStrokes(resync);
    // Messages a previous page sent whose ack it never saw are in the snapshot already.
    const already = this.outbox.entries.filter((entry) => this.state.hasClientId(entry.client_id));
    for (const entry of already) this.outbox.seen(entry.client_id);
    if (already.length > 0) this.#emit("outbox");
    this.joined = true;
    // Members on other server processes are not listed; their `presence` push comes when they
    // next join, so the list adds to what is known and removes nothing.
    for (const actor of ack.online ?? []) {
      if (actor?.id && actor.id !== this.selfId) this.#markPresent(actor, true);
    }
    this.#emit("joined");
    this.#flushOutbox();
    return ack;
  }

  /** Called by the connection when the socket dropped. */
  disconnected() {
    this.joined = false;
    this.present.clear();
    this.departed.clear();
    this.typing.clear();
    this.#emit("presence");
  }

  /** A sequenced `event` push for this conversation. */
  receive(event) {
    this.#sequencer.receive(event);
  }

  /**
   * A `points` push: points of a stroke another member is drawing. During a join they wait for
   * its snapshot or replay (they may overlap it: the state adds only what it lacks).
   */
  onPoints(message) {
    if (this.#sequencer.joining) {
      this.#pointsDuringJoin.push(message);
      return;
    }
    const change = this.state.addPoints(message?.stroke_id, message?.index, message?.points);
    if (change) this.#emit(change);
  }

  #applyPointsDuringJoin() {
    const messages = this.#pointsDuringJoin;
    this.#pointsDuringJoin = [];
    for (const message of messages) this.onPoints(message);
  }

  /**
   * After a join: send what the server lacks of the local strokes in `resync` (see `join`),
   * then the stroke commands held during the join, in order. A held `stroke.end` stands for the
   * resync's own. With an empty `resync` (the join failed) only the held commands go.
   */
  #resyncStrokes(resync) {
    const held = this.#heldStrokeCommands ?? [];
    this.#heldStrokeCommands = null;
    const ending = new Set(
      held
        .filter((command) => command.event === Events.STROKE_END)
        .map((command) => command.payload.stroke_id),
    );
    const max = this.limits.max_stroke_points;
    for (const local of this.state.localStrokes()) {
      const id = local.stroke_id;
      if (!resync.has(id)) continue;
      const shared = this.state.stroke(id);
      if (!shared || shared.done) {
        this.state.dropLocalStroke(id);
        continue;
      }
      for (let index = shared.points.length; index < local.points.length; index += max) {
        const points = local.points.slice(index, index + max);
        this.send(Events.STROKE_POINTS, { stroke_id: id, index, points });
      }
      if (local.done && !ending.has(id)) this.send(Events.STROKE_END, { stroke_id: id });
    }
    for (const { event, payload, resolve } of held) {
      this.#emitter.emit(event, payload).then(resolve);
    }
  }

  #apply(event) {
    const change = this.state.apply(event);
    const clientId = event.data?.client_id;
    if (event.type === "chat.message" && clientId && event.actor?.id === this.selfId) {
      this.outbox.seen(clientId);
    }
    if (event.type === "chat.message" && event.actor) this.#setPeerTyping(event.actor, false);
    if (change) this.#emit(change, { event });
  }

  /** Queue a chat message; it is sent now or after the next successful join. */
  sendChat(text) {
    const entry = this.outbox.add(text);
    this.stopTyping();
    this.#emit("outbox");
    this.#flushOutbox();
    return entry;
  }

  /** Put a refused message back in the queue and try again. */
  retryChat(clientId) {
    this.outbox.retry(clientId);
    this.#emit("outbox");
    this.#flushOutbox();
  }

  #flushOutbox() {
    if (!this.joined) return;
    for (const entry of this.outbox.take()) {
      const payload = { text: entry.text, client_id: entry.client_id };
      this.send(Events.CHAT_SEND, payload).then((ack) => {
        this.outbox.settle(entry.client_id, ack);
        // A repeat the server recognised returns an old seq and broadcasts nothing new.
        if (ack?.ok && ack.seq <= this.#sequencer.lastSeq) this.outbox.seen(entry.client_id);
        this.#emit("outbox");
      });
    }
  }

  /**
   * Send a client event for this conversation, in order with the others; resolves with its ack.
   * `payload` must not contain `conversation_id` (it is added). Stroke commands wait while a
   * join resyncs the local strokes (see `join`).
   */
  send(event, payload = {}) {
    const full = { conversation_id: this.conversationId, ...payload };
    const held = this.#heldStrokeCommands;
    if (held && event.startsWith("stroke.")) {
      return new Promise((resolve) => held.push({ event, payload: full, resolve }));
    }
    return this.#emitter.emit(event, full);
  }

  /** Offer the local transform during a gesture; sent throttled, latest value wins. */
  pushTransform(transform) {
    const { zoom, cx, cy, w, h } = transform;
    this.#transforms.push(w > 0 && h > 0 ? { zoom, cx, cy, w, h } : { zoom, cx, cy });
  }

  /** Tell the others which region `{cx, cy, w, h}` this side sees (`viewer.view`, throttled). */
  pushView(region) {
    const { cx, cy, w, h } = region;
    this.#views.push({ cx, cy, w, h });
  }

  /** A `view` push: another member's visible region. */
  onView(message) {
    const actor = message?.actor;
    if (!actor?.id || actor.id === this.selfId) return;
    const { cx, cy, w, h } = message;
    if (![cx, cy, w, h].every(Number.isFinite)) return;
    this.views.delete(actor.id); // the latest one last
    this.views.set(actor.id, { actor, cx, cy, w, h });
    this.#emit("view");
  }

  /** Send any waiting transform now; resolves with its ack. */
  flushTransform() {
    this.#transforms.flush();
    return this.#lastTransformAck;
  }

  /** The local user typed something: announce typing (at most every few seconds). */
  typingActivity() {
    const now = Date.now();
    if (!this.#typingActive || now - this.#typingSentAt > TYPING_REPEAT_MS) {
      this.#typingActive = true;
      this.#typingSentAt = now;
      if (this.joined) this.send(Events.CHAT_TYPING, { typing: true });
    }
    this.#cancelTypingIdle?.();
    this.#cancelTypingIdle = scheduleWithTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  /** The local user stopped typing (sent, cleared the input or went idle). */
  stopTyping() {
    this.#cancelTypingIdle?.();
    this.#cancelTypingIdle = null;
    if (!this.#typingActive) return;
    this.#typingActive = false;
    if (this.joined) this.send(Events.CHAT_TYPING, { typing: false });
  }

  /** Tell the others everything up to the newest incoming message was read. */
  markRead() {
    const seq = this.state.lastIncomingSeq();
    if (!this.joined || seq <= this.#readSent || seq <= (this.state.reads[this.selfId] ?? 0))
      return;
    this.#readSent = seq;
    this.send(Events.CHAT_READ, { seq });
  }

  /** Ask the shop's engine again for message `seq`'s translation (agents); resolves with the ack. */
  retryTranslation(seq) {
    return this.send(Events.CHAT_TRANSLATE, { seq });
  }

  /** Fetch older messages than the oldest shown; resolves with `has_more`. */
  async loadHistory(limit = 50) {
    const oldest = this.state.messages[0]?.seq;
    const payload = oldest ? { before_seq: oldest, limit } : { limit };
    const ack = await this.send(Events.CHAT_HISTORY, payload);
    if (!ack?.ok) return false;
    this.state.addHistory(ack.messages ?? [], ack.translations ?? []);
    this.#emit("timeline");
    return Boolean(ack.has_more);
  }

  /** A `typing` push. */
  onTyping(message) {
    if (!message.actor || message.actor.id === this.selfId) return;
    this.#markPresent(message.actor, true);
    this.#setPeerTyping(message.actor, Boolean(message.typing));
  }

  /** A `presence` push. */
  onPresence(message) {
    const actor = message.actor;
    if (!actor || actor.id === this.selfId) return;
    this.#markPresent(actor, Boolean(message.online));
    if (!message.online) this.#setPeerTyping(actor, false);
    if (!message.online && this.views.delete(actor.id)) this.#emit("view");
    // Typing is not replayed, so someone arriving mid-sentence is told now.
    if (message.online && this.#typingActive && this.joined) {
      this.#typingSentAt = Date.now();
      this.send(Events.CHAT_TYPING, { typing: true });
    }
  }

  #markPresent(actor, online) {
    if (online === this.present.has(actor.id) && online !== this.departed.has(actor.id)) return;
    if (online) {
      this.present.set(actor.id, actor);
      this.departed.delete(actor.id);
    } else {
      this.present.delete(actor.id);
      this.departed.set(actor.id, actor);
    }
    this.#emit("presence");
  }

  #setPeerTyping(actor, typing) {
    if (!actor || actor.id === this.selfId) return;
    this.#peerTimers.get(actor.id)?.();
    this.#peerTimers.delete(actor.id);
    const was = this.typing.has(actor.id);
    if (typing) {
      this.typing.set(actor.id, actor);
      const cancel = scheduleWithTimeout(
        () => this.#setPeerTyping(actor, false),
        PEER_TYPING_TTL_MS,
      );
      this.#peerTimers.set(actor.id, cancel);
    } else {
      this.typing.delete(actor.id);
    }
    if (was !== typing) this.#emit("typing");
  }

  #emit(change, extra = {}) {
    this.dispatchEvent(new CustomEvent("change", { detail: { change, ...extra } }));
  }
}
