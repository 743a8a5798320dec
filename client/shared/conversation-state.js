/**
 * The state of one conversation as a client sees it: chat timeline, read marks, the shared
 * viewer (media, transform, strokes, video clock) and the shopper's uploads.
 *
 * `ConversationState` is a plain object fed by a snapshot and by sequenced events (in `seq` order,
 * see `EventSequencer`); `apply` returns which part changed so a view re-renders only that part.
 * The points of a stroke being drawn come as unsequenced `points` pushes (`addPoints`), and its
 * `stroke.end` event carries its whole line, which replaces them. Strokes the local user is
 * drawing live in a separate overlay until that `stroke.end` is applied, so they show at once,
 * are never drawn twice, and survive a snapshot (the session tells the server what it lacks of
 * them, see `ConversationSession`). No DOM, no sockets.
 *
 * A message's translation (`chat.translated`, a snapshot's `translations`) is its item's
 * `translation`: `{source, target, text}`, or `{source, target, error}` when the shop's engine
 * could not (PROTOCOL.md "Translation"); `text` stays the author's own words.
 *
 * Agents' internal notes (`note.added`, a snapshot's `notes`) are timeline items of kind "note":
 * never messages, never unread. Shoppers get an `internal` stand-in per note instead, which only
 * advances `seq` and shows nothing (PROTOCOL.md "Internal notes").
 */

import { DEFAULT_TRANSFORM } from "./view-transform.js";

export const STOPPED_VIDEO = Object.freeze({ playing: false, position: 0, rate: 1, at: 0 });

/** What `ConversationState.apply` reports as changed. */
export const Change = Object.freeze({
  TIMELINE: "timeline",
  STATUS: "status",
  READS: "reads",
  MEDIA: "media",
  TRANSFORM: "transform",
  STROKES: "strokes",
  VIDEO: "video",
  CART: "cart",
});

/**
 * Timeline key of a system notice, one per fact (this agent accepted, this caller joined, the
 * conversation closed) rather than per seq, so the notice a snapshot implies and the notice of the
 * event itself are one item whichever arrives first.
 */
function systemKey(type, data, seq) {
  switch (type) {
    case "conversation.accepted":
      return `s:accepted:${data.agent?.id ?? ""}`;
    case "member.joined":
      return `s:joined:${data.member?.id ?? ""}`;
    case "conversation.closed":
      return "s:closed";
    case "conversation.transferred":
      // Each transfer is its own fact: the same agent may get the conversation back later.
      return `s:transferred:${seq}`;
    case "cart.added":
      return `s:cart:${seq}`;
    default:
      return null;
  }
}

/** Media id carried by a `media.*` event, whichever field the server used. */
function mediaIdOf(data) {
  return data?.media?.id ?? data?.media_id ?? data?.id ?? null;
}

function copyStroke(stroke, actorId) {
  return {
    stroke_id: stroke.stroke_id,
    actor_id: stroke.actor_id ?? actorId ?? null,
    color: stroke.color,
    width: stroke.width,
    points: [...(stroke.points ?? [])],
    done: Boolean(stroke.done),
  };
}

export class ConversationState {
  /** @type {"waiting"|"active"|"closed"} */
  status = "waiting";
  page = null;
  name = null;
  agent = null;
  /** Who the shopper is (PROTOCOL.md "Who the shopper is"), `{}` when unknown. */
  visitor = {};
  /** `{score, comment}` once the customer rated the closed conversation, else null. */
  rating = null;
  /** The shopper's cart as their shop's page told it (`{items, total, currency}`), or null. */
  cart = null;
  /** Opened to show a phone PIN (`conversation.opened`): out of the queue until a message. */
  byPhone = false;
  /** Highest seq folded into this state. */
  seq = 0;
  /** actor id → highest seq that actor has read. */
  reads = {};
  media = null;
  transform = { ...DEFAULT_TRANSFORM };
  video = { ...STOPPED_VIDEO };
  /**
   * Chat messages, system notices, uploads, products the agent sent (kind "product": `product`
   * is its card, `variantId` the variant suggested), add-to-cart outcomes (kind "system", type
   * `cart.added`) and (agents only) notes, ordered by seq.
   */
  timeline = [];
  #strokes = new Map();
  #localStrokes = new Map();
  #keys = new Map();
  #uploads = new Map();
  /** Message seq → its latest translation, kept for a message not in the timeline yet. */
  #translations = new Map();

  /**
   * @param {string} conversationId
   * @param {string|null} selfId the local actor's id (from `GET /api/me`), to tell own events
   */
  constructor(conversationId, selfId = null) {
    this.id = conversationId;
    this.selfId = selfId;
  }

  /**
   * Replace the shared state with a `join` snapshot; timeline items are merged, not lost, and
   * the local strokes stay (the session drops those the server no longer has).
   */
  loadSnapshot(snapshot) {
    this.status = snapshot.status ?? this.status;
    this.page = snapshot.page ?? null;
    this.name = snapshot.name ?? null;
    this.agent = snapshot.agent ?? null;
    this.visitor = snapshot.visitor ?? this.visitor;
    this.rating = snapshot.rating ?? null;
    this.seq = snapshot.seq ?? this.seq;
    this.reads = { ...(snapshot.reads ?? {}) };
    this.media = snapshot.media ?? null;
    this.transform = { ...DEFAULT_TRANSFORM, ...(snapshot.transform ?? {}) };
    this.video = { ...STOPPED_VIDEO, ...(snapshot.video ?? {}) };
    this.#strokes = new Map((snapshot.strokes ?? []).map((s) => [s.stroke_id, copyStroke(s)]));
    for (const event of snapshot.messages ?? []) this.#addMessage(event);
    for (const translation of snapshot.translations ?? []) this.#translate(translation, 0);
    for (const event of snapshot.notes ?? []) this.#addNote(event);
    for (const event of snapshot.commerce ?? []) this.#addCommerce(event);
    this.cart = snapshot.cart ?? null;
    this.#loadSnapshotNotices(snapshot);
    this.#loadSnapshotUploads(snapshot);
  }

  /** Merge older `chat.message` events from `chat.history`, and their translations. */
  addHistory(events, translations = []) {
    for (const event of events) this.#addMessage(event);
    for (const translation of translations) this.#translate(translation, 0);
  }

  /**
   * Fold one sequenced event in (the caller guarantees seq order and no duplicates).
   * Returns the `Change` it caused, or null for types this client does not show.
   */
  apply(event) {
    this.seq = Math.max(this.seq, event.seq);
    const data = event.data ?? {};
    switch (event.type) {
      case "conversation.opened":
        this.page = data.page ?? this.page;
        this.name = data.name ?? this.name;
        this.visitor = data.visitor ?? this.visitor;
        this.byPhone = Boolean(data.by_phone);
        return Change.STATUS;
      case "visitor.identified":
        this.visitor = data.visitor ?? this.visitor;
        this.name = this.visitor?.name || this.name;
        return Change.STATUS;
      case "conversation.transferred":
        this.agent = data.to ? { id: data.to.id, name: data.to.name } : null;
        this.status = data.to ? "active" : "waiting";
        this.#addSystem(event);
        return Change.STATUS;
      case "conversation.rated":
        this.rating = { score: data.score, comment: data.comment ?? null };
        return Change.STATUS;
      case "note.added":
        this.#addNote(event);
        return Change.TIMELINE;
      case "internal":
        // A note's place in the order for shoppers: nothing to show (PROTOCOL.md).
        return null;
      case "conversation.accepted":
        this.status = "active";
        this.agent = data.agent ?? null;
        this.#addSystem(event);
        return Change.STATUS;
      case "conversation.closed":
        this.status = "closed";
        this.#addSystem(event);
        return Change.STATUS;
      case "member.joined":
        this.#addSystem(event);
        return Change.TIMELINE;
      case "chat.message":
        this.#addMessage(event);
        if (event.actor?.role === "customer" || event.actor?.role === "caller") {
          this.byPhone = false;
        }
        return Change.TIMELINE;
      case "chat.translated":
        this.#translate(data, event.seq);
        return Change.TIMELINE;
      case "chat.read": {
        const actorId = event.actor?.id;
        if (actorId) this.reads[actorId] = Math.max(this.reads[actorId] ?? 0, data.seq ?? 0);
        return Change.READS;
      }
      case "viewer.show":
        this.media = data.media ?? null;
        this.transform = { ...DEFAULT_TRANSFORM };
        this.video = { ...STOPPED_VIDEO, at: event.at ?? 0 };
        this.#strokes.clear();
        this.#localStrokes.clear();
        return Change.MEDIA;
      case "viewer.transform":
        this.transform = { zoom: data.zoom, cx: data.cx, cy: data.cy };
        // The region the sender saw (PROTOCOL.md): other screens fit it instead of copying zoom.
        if (data.w > 0 && data.h > 0) Object.assign(this.transform, { w: data.w, h: data.h });
        return Change.TRANSFORM;
      case "video.state":
        this.video = {
          playing: Boolean(data.playing),
          position: data.position,
          rate: data.rate,
          at: data.at,
        };
        return Change.VIDEO;
      case "media.processing":
      case "media.ready":
      case "media.failed":
        this.#applyMedia(event);
        return Change.TIMELINE;
      case "media.updated":
        return this.#updateMedia(event) ? Change.TIMELINE : null;
      case "cart.updated":
        this.cart = data.cart ?? null;
        return Change.CART;
      case "product.sent":
      case "cart.added":
        this.#addCommerce(event);
        return Change.TIMELINE;
      default:
        return this.#applyStroke(event);
    }
  }

  /** Chat messages only, in order. */
  get messages() {
    return this.timeline.filter((item) => item.kind === "message");
  }

  /** Internal notes (agents only), in order. */
  get notes() {
    return this.timeline.filter((item) => item.kind === "note");
  }

  /** Uploads in the order they appear in the timeline. */
  get uploads() {
    return [...this.#uploads.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Upload item for a media id, or undefined. */
  upload(mediaId) {
    for (const item of this.#uploads.values()) if (item.mediaId === mediaId) return item;
    return undefined;
  }

  /**
   * The upload item of an upload this client sent: by the `upload_id` it chose (echoed in the
   * upload's `media.*` events and in snapshots' unfinished uploads), else by the media id of the
   * server's answer (a snapshot's ready items carry no upload id). Undefined while the
   * conversation does not show it yet.
   */
  findUpload({ uploadId = null, mediaId = null } = {}) {
    if (uploadId) {
      for (const item of this.#uploads.values()) if (item.uploadId === uploadId) return item;
    }
    return mediaId ? this.upload(mediaId) : undefined;
  }

  /** True when a message with this client_id is in the timeline. */
  hasClientId(clientId) {
    return this.timeline.some((item) => item.kind === "message" && item.client_id === clientId);
  }

  /** Highest seq someone other than the local actor has read (0 when none). */
  readByOthers() {
    let best = 0;
    for (const [actorId, seq] of Object.entries(this.reads)) {
      if (actorId !== this.selfId) best = Math.max(best, seq);
    }
    return best;
  }

  /** Seq of the newest message written by someone else (0 when none). */
  lastIncomingSeq() {
    for (let i = this.timeline.length - 1; i >= 0; i -= 1) {
      const item = this.timeline[i];
      if (item.kind === "message" && item.actor?.id !== this.selfId) return item.seq;
    }
    return 0;
  }

  /** Strokes to draw, oldest first: shared ones, with the local overlay taking precedence. */
  visibleStrokes() {
    const result = [];
    for (const stroke of this.#strokes.values()) {
      result.push(this.#localStrokes.get(stroke.stroke_id) ?? stroke);
    }
    for (const stroke of this.#localStrokes.values()) {
      if (!this.#strokes.has(stroke.stroke_id)) result.push(stroke);
    }
    return result;
  }

  /**
   * The points of a `points` push: those from `index` on (its first point's place in the
   * stroke) that the stroke lacks. A push overlapping what the stroke has adds only the rest; one
   * beyond its end (pushes were missed) is added anyway, as the stroke's `stroke.end` will bring
   * the whole line. Returns `Change.STROKES` when the line grew, null otherwise (a stroke unknown
   * or ended, nothing new, a malformed push).
   */
  addPoints(strokeId, index, points) {
    const stroke = this.#strokes.get(strokeId);
    if (!stroke || stroke.done || !Number.isInteger(index) || index < 0) return null;
    if (!Array.isArray(points)) return null;
    const added = points.slice(Math.max(0, stroke.points.length - index));
    if (added.length === 0) return null;
    stroke.points.push(...added);
    return Change.STROKES;
  }

  /** The stroke `strokeId` as the server has it (snapshot, events, pushes), or undefined. */
  stroke(strokeId) {
    return this.#strokes.get(strokeId);
  }

  /**
   * The local user's strokes until their `stroke.end` is applied, oldest first: `{stroke_id,
   * points, done, accepted, …}`, `accepted` once the server answered `stroke.begin` with ok.
   */
  localStrokes() {
    return [...this.#localStrokes.values()];
  }

  /** Start drawing a local stroke (shown immediately, before the server has it). */
  beginLocalStroke({ stroke_id, color, width, points }) {
    this.#localStrokes.set(stroke_id, {
      stroke_id,
      actor_id: this.selfId,
      color,
      width,
      points: [...points],
      done: false,
      accepted: false,
    });
  }

  /** The server accepted a local stroke's `stroke.begin`: from now on a snapshot tells its fate. */
  acceptLocalStroke(strokeId) {
    const stroke = this.#localStrokes.get(strokeId);
    if (stroke) stroke.accepted = true;
  }

  /** Append points to a local stroke. */
  extendLocalStroke(strokeId, points) {
    this.#localStrokes.get(strokeId)?.points.push(...points);
  }

  /** The local user lifted the pen; the overlay stays until the server's `stroke.end`. */
  finishLocalStroke(strokeId) {
    const stroke = this.#localStrokes.get(strokeId);
    if (stroke) stroke.done = true;
  }

  /** Forget a local stroke the server refused, or no longer has. */
  dropLocalStroke(strokeId) {
    this.#localStrokes.delete(strokeId);
  }

  #applyStroke(event) {
    const data = event.data ?? {};
    switch (event.type) {
      case "stroke.begin":
        this.#strokes.set(data.stroke_id, copyStroke(data, event.actor?.id));
        return Change.STROKES;
      case "stroke.points":
        // Only in logs written before points became `points` pushes.
        this.#strokes.get(data.stroke_id)?.points.push(...(data.points ?? []));
        return Change.STROKES;
      case "stroke.end": {
        const stroke = this.#strokes.get(data.stroke_id);
        if (stroke) stroke.done = true;
        // The whole line, authoritative (older logs end without it: the stroke keeps its own).
        if (stroke && Array.isArray(data.points)) stroke.points = [...data.points];
        this.#localStrokes.delete(data.stroke_id);
        return Change.STROKES;
      }
      case "stroke.undo":
        this.#strokes.delete(data.stroke_id);
        this.#localStrokes.delete(data.stroke_id);
        return Change.STROKES;
      case "stroke.clear":
        this.#strokes.clear();
        this.#localStrokes.clear();
        return Change.STROKES;
      default:
        return null;
    }
  }

  /**
   * The rest of a shown photo's variants (`media.updated`): the item keeps its place and status,
   * its media is replaced. An item this client does not show (yet) is left alone.
   */
  #updateMedia(event) {
    const data = event.data ?? {};
    const item = this.#uploads.get(`u:${data.upload_id}`) ?? this.upload(mediaIdOf(data));
    if (!item || !data.media) return false;
    item.media = { ...(item.media ?? {}), ...data.media };
    item.version = event.seq;
    return true;
  }

  #applyMedia(event) {
    const data = event.data ?? {};
    const mediaId = mediaIdOf(data);
    const key = `u:${data.upload_id ?? mediaId ?? event.seq}`;
    let item = this.#uploads.get(key);
    if (!item) {
      item = this.#newUpload(key, mediaId, data.upload_id, event.actor ?? data.uploaded_by);
      item.seq = event.seq;
      item.at = event.at;
      this.#uploads.set(key, item);
    }
    if (!this.#keys.has(key)) this.#insert(item);
    item.status = event.type.slice("media.".length);
    item.version = event.seq;
    item.mediaId = mediaId ?? item.mediaId;
    if (data.media) item.media = { ...(item.media ?? {}), ...data.media };
    if (data.name && !item.name) item.name = data.name;
    if (item.status === "failed") item.reason = data.reason ?? null;
  }

  /**
   * The system notices a snapshot implies (the agent accepted, callers joined by phone, the
   * conversation closed), so a reload or a late joiner shows what live members saw. Placed at the
   * fact's `seq` when the server sends one; else just before that person's first message in the
   * snapshot (they arrived before they spoke), or after the snapshot's messages if they have not
   * written there: the latest point where it can have happened. A notice already in the timeline
   * from its event keeps its place.
   */
  #loadSnapshotNotices(snapshot) {
    const messages = snapshot.messages ?? [];
    const end = Number(snapshot.seq) || this.seq;
    const placed = (seq, actorId) => {
      if (Number(seq)) return Number(seq);
      const first = messages.find((event) => event.actor?.id === actorId);
      return first ? first.seq - 0.5 : end + 0.5;
    };
    const notices = [];
    const agent = snapshot.agent;
    // An agent who got the conversation by a transfer seen live already has its notice there.
    const transferredTo = (id, seq) =>
      this.timeline.some(
        (item) =>
          item.type === "conversation.transferred" &&
          item.data.to?.id === id &&
          (!Number(seq) || item.seq === Number(seq)),
      );
    if (agent?.id && !transferredTo(agent.id, agent.seq)) {
      notices.push(["conversation.accepted", { agent }, placed(agent.seq, agent.id)]);
    }
    for (const caller of snapshot.callers ?? []) {
      const member = { id: caller.id, role: "caller", name: caller.name };
      notices.push(["member.joined", { member }, placed(caller.seq, caller.id)]);
    }
    if (snapshot.status === "closed") notices.push(["conversation.closed", {}, end + 0.5]);
    for (const [type, data, seq] of notices) this.#addSystem({ type, data, seq, at: null });
  }

  /**
   * Uploads a snapshot knows of (ready items and unfinished uploads) but whose events were not
   * seen. They join the timeline at their `seq` when the server sends one, else at the top.
   */
  #loadSnapshotUploads(snapshot) {
    const known = new Set([...this.#uploads.values()].map((item) => item.mediaId));
    const add = (item, seq, at) => {
      Object.assign(item, { seq: Number(seq) || 0, at: Number(at) || 0 });
      this.#uploads.set(item.key, item);
      this.#insert(item);
    };
    for (const media of snapshot.media_items ?? []) {
      if (known.has(media.id)) continue;
      const item = this.#newUpload(`u:${media.id}`, media.id, null, media.uploaded_by);
      Object.assign(item, { status: "ready", media, name: media.name ?? null });
      add(item, media.seq, media.at);
    }
    for (const pending of snapshot.media_pending ?? []) {
      const key = `u:${pending.upload_id}`;
      if (this.#uploads.has(key) || known.has(pending.media_id)) continue;
      const item = this.#newUpload(key, pending.media_id, pending.upload_id, pending.uploaded_by);
      Object.assign(item, { status: "processing", name: pending.name ?? null });
      add(item, pending.seq, pending.at);
    }
  }

  #newUpload(key, mediaId, uploadId, actor) {
    return {
      kind: "upload",
      key,
      id: mediaId ?? uploadId ?? key,
      mediaId: mediaId ?? null,
      uploadId: uploadId ?? null,
      seq: 0,
      at: 0,
      actor: actor ?? null,
      status: "processing",
      version: 0,
      media: null,
      name: null,
      reason: null,
    };
  }

  #addMessage(event) {
    const data = event.data ?? {};
    const key = `m:${event.seq}`;
    if (this.#keys.has(key)) return;
    this.#insert({
      kind: "message",
      key,
      seq: event.seq,
      at: event.at,
      actor: event.actor ?? null,
      text: String(data.text ?? ""),
      client_id: data.client_id ?? null,
      translation: this.#translations.get(event.seq) ?? null,
      version: 0,
    });
  }

  /** Attach a translation to its message (`version`: what makes the message drawn again). */
  #translate(data, version) {
    if (!Number.isInteger(data?.seq)) return;
    const translation = {
      source: data.source ?? null,
      target: data.target ?? null,
      text: typeof data.text === "string" ? data.text : null,
      error: data.error ?? null,
    };
    this.#translations.set(data.seq, translation);
    const item = this.#keys.get(`m:${data.seq}`);
    if (item) {
      item.translation = translation;
      item.version = version || item.version + 1;
    }
  }

  #addNote(event) {
    const key = `n:${event.seq}`;
    if (this.#keys.has(key)) return;
    this.#insert({
      kind: "note",
      key,
      seq: event.seq,
      at: event.at,
      actor: event.actor ?? null,
      text: String(event.data?.text ?? ""),
    });
  }

  #addCommerce(event) {
    if (event.type === "cart.added") {
      this.#addSystem(event);
      return;
    }
    const key = `p:${event.seq}`;
    if (this.#keys.has(key) || !event.data?.product) return;
    this.#insert({
      kind: "product",
      key,
      seq: event.seq,
      at: event.at,
      actor: event.actor ?? null,
      product: event.data.product,
      variantId: event.data.variant_id ?? null,
    });
  }

  #addSystem(event) {
    const key = systemKey(event.type, event.data ?? {}, event.seq);
    if (!key) return;
    this.#insert({
      kind: "system",
      key,
      seq: event.seq,
      at: event.at,
      actor: event.actor ?? null,
      type: event.type,
      data: event.data ?? {},
    });
  }

  #insert(item) {
    if (this.#keys.has(item.key)) return;
    this.#keys.set(item.key, item);
    let index = this.timeline.length;
    while (index > 0 && this.timeline[index - 1].seq > item.seq) index -= 1;
    this.timeline.splice(index, 0, item);
  }
}
