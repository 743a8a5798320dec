/**
 * Getting client events to the server in order and within the rate limits.
 *
 * python-socketio may run a client's handlers concurrently, so two events emitted back to back
 * can be processed out of order (`stroke.points` before its `stroke.begin`). `OrderedEmitter`
 * sends one event at a time, waits for its ack, retries after `rate_limited`, and merges queued
 * events that supersede each other (point batches of one stroke, transforms, typing flags).
 * `PointBatcher` samples a stroke's points and flushes them at most every 33 ms. Batches hold at
 * most the server's `max_stroke_points` (protocol.js limits; 256 by default).
 * No DOM, no sockets: `send` and the clock are injected.
 */

import { DEFAULT_LIMITS, Events } from "./protocol.js";
import { scheduleWithTimeout } from "./schedule.js";

export const POINT_FLUSH_MS = 33;
const MAX_RATE_LIMIT_RETRIES = 5;

/** A random id of `length` base-36 characters; works in insecure contexts (no randomUUID). */
export function randomId(prefix = "", length = 16) {
  const bytes = new Uint8Array(length);
  globalThis.crypto.getRandomValues(bytes);
  let id = prefix;
  for (const byte of bytes) id += (byte % 36).toString(36);
  return id;
}

/**
 * Merge a queued, not yet sent event with a newer one when the newer one makes it redundant
 * or can ride along. Returns the merged payload, or null when both must be sent. Point batches
 * merge only up to `maxPoints` points (the server's `max_stroke_points`).
 */
export function coalesceOutgoing(queued, next, maxPoints = DEFAULT_LIMITS.max_stroke_points) {
  if (queued.event !== next.event) return null;
  if (queued.payload.conversation_id !== next.payload.conversation_id) return null;
  switch (next.event) {
    case Events.STROKE_POINTS: {
      if (queued.payload.stroke_id !== next.payload.stroke_id) return null;
      const points = [...queued.payload.points, ...next.payload.points];
      return points.length <= maxPoints ? { ...queued.payload, points } : null;
    }
    case Events.VIEWER_TRANSFORM:
    case Events.CHAT_TYPING:
      return next.payload;
    default:
      return null;
  }
}

/** Sends events strictly one after another; see the module docstring. */
export class OrderedEmitter {
  #send;
  #schedule;
  #coalesce;
  #queue = [];
  #busy = false;

  /**
   * @param {object} options
   * @param {(event: string, payload: object) => Promise<object>} options.send resolves with the
   *   ack (`{ok: true, ...}` or the error shape; transport failures as `{ok: false, error}` too)
   * @param {import("./schedule.js").Schedule} [options.schedule]
   * @param {(queued: object, next: object) => object|null} [options.coalesce]
   */
  constructor({ send, schedule = scheduleWithTimeout, coalesce = coalesceOutgoing }) {
    this.#send = send;
    this.#schedule = schedule;
    this.#coalesce = coalesce;
  }

  /** Events waiting or in flight. */
  get size() {
    return this.#queue.length;
  }

  /** Queue `event`; resolves with its ack (shared with any event merged into it). */
  emit(event, payload) {
    return new Promise((resolve) => {
      const last = this.#queue.at(-1);
      const mergeable = last && !(this.#busy && this.#queue.length === 1);
      const merged = mergeable ? this.#coalesce(last, { event, payload }) : null;
      if (merged) {
        last.payload = merged;
        last.resolvers.push(resolve);
      } else {
        this.#queue.push({ event, payload, resolvers: [resolve], retries: 0 });
      }
      this.#pump();
    });
  }

  /** Drop everything not yet sent; their promises resolve with `{ok: false, code: cancelled}`. */
  cancelPending() {
    const keep = this.#busy ? this.#queue.slice(0, 1) : [];
    for (const item of this.#queue.slice(keep.length)) {
      for (const resolve of item.resolvers) {
        resolve({ ok: false, error: { code: "cancelled", message: "not sent" } });
      }
    }
    this.#queue = keep;
  }

  async #pump() {
    if (this.#busy) return;
    this.#busy = true;
    while (this.#queue.length > 0) {
      const item = this.#queue[0];
      let ack;
      try {
        ack = await this.#send(item.event, item.payload);
      } catch (error) {
        ack = { ok: false, error: { code: "offline", message: String(error?.message ?? error) } };
      }
      const code = ack?.error?.code;
      if (code === "rate_limited" && item.retries < MAX_RATE_LIMIT_RETRIES) {
        item.retries += 1;
        const seconds = Number(ack.error.retry_after) || 1;
        await new Promise((resolve) => this.#schedule(resolve, seconds * 1000));
        continue;
      }
      this.#queue.shift();
      for (const resolve of item.resolvers) resolve(ack);
    }
    this.#busy = false;
  }
}

/**
 * Sends the latest of a stream of values (e.g. viewer transforms during a drag) at most once per
 * `intervalMs`: the first value at once, later ones when the interval has passed, and always the
 * last one. Values superseded within an interval are never sent.
 */
export class LatestThrottle {
  #send;
  #intervalMs;
  #now;
  #schedule;
  #lastSentAt = -Infinity;
  #pending = undefined;
  #cancelTimer = null;

  /**
   * @param {object} options
   * @param {(value: any) => void} options.send
   * @param {number} options.intervalMs
   * @param {() => number} [options.now]
   * @param {import("./schedule.js").Schedule} [options.schedule]
   */
  constructor({ send, intervalMs, now = () => performance.now(), schedule = scheduleWithTimeout }) {
    this.#send = send;
    this.#intervalMs = intervalMs;
    this.#now = now;
    this.#schedule = schedule;
  }

  /** Offer a new value; it replaces any value still waiting. */
  push(value) {
    this.#pending = value;
    if (this.#cancelTimer) return;
    const wait = this.#lastSentAt + this.#intervalMs - this.#now();
    if (wait <= 0) {
      this.flush();
    } else {
      this.#cancelTimer = this.#schedule(() => {
        this.#cancelTimer = null;
        this.flush();
      }, wait);
    }
  }

  /** Send the waiting value now (if any). */
  flush() {
    if (this.#cancelTimer) {
      this.#cancelTimer();
      this.#cancelTimer = null;
    }
    if (this.#pending === undefined) return;
    const value = this.#pending;
    this.#pending = undefined;
    this.#lastSentAt = this.#now();
    this.#send(value);
  }

  /** Drop the waiting value without sending it. */
  cancel() {
    if (this.#cancelTimer) this.#cancelTimer();
    this.#cancelTimer = null;
    this.#pending = undefined;
  }
}

/**
 * Collects the points of one stroke as the pointer moves and hands them to `flush` in batches,
 * at most every `intervalMs` (leading edge: the first batch goes out at once). Points closer
 * than `minDistance` (image-normalised) to the last kept one are skipped, except the very last
 * point of the stroke, which `finish` always delivers.
 */
export class PointBatcher {
  #flush;
  #intervalMs;
  #minDistance;
  #maxPoints;
  #now;
  #schedule;
  #pending = [];
  #lastKept;
  #skipped = null;
  #lastFlushAt = -Infinity;
  #cancelTimer = null;
  #finished = false;

  /**
   * @param {object} options
   * @param {(points: number[][]) => void} options.flush receives 1–`maxPoints` points per call
   * @param {number[]} options.start the stroke's first point (already sent with `stroke.begin`)
   * @param {number} [options.intervalMs]
   * @param {number} [options.minDistance]
   * @param {number} [options.maxPoints] most points in one batch (`max_stroke_points`)
   * @param {() => number} [options.now] ms clock
   * @param {import("./schedule.js").Schedule} [options.schedule]
   */
  constructor({
    flush,
    start,
    intervalMs = POINT_FLUSH_MS,
    minDistance = 0,
    maxPoints = DEFAULT_LIMITS.max_stroke_points,
    now = () => performance.now(),
    schedule = scheduleWithTimeout,
  }) {
    this.#flush = flush;
    this.#lastKept = start;
    this.#intervalMs = intervalMs;
    this.#minDistance = minDistance;
    this.#maxPoints = Math.max(1, maxPoints);
    this.#now = now;
    this.#schedule = schedule;
  }

  /** Add one `[x, y]` point; returns true when it was kept (false: sampled away). */
  add(point) {
    if (this.#finished) return false;
    const dx = point[0] - this.#lastKept[0];
    const dy = point[1] - this.#lastKept[1];
    if (Math.hypot(dx, dy) < this.#minDistance) {
      this.#skipped = point;
      return false;
    }
    this.#skipped = null;
    this.#lastKept = point;
    this.#pending.push(point);
    if (this.#pending.length >= this.#maxPoints) {
      this.#flushNow();
    } else if (!this.#cancelTimer) {
      const wait = this.#lastFlushAt + this.#intervalMs - this.#now();
      if (wait <= 0) {
        this.#flushNow();
      } else {
        this.#cancelTimer = this.#schedule(() => {
          this.#cancelTimer = null;
          this.#flushNow();
        }, wait);
      }
    }
    return true;
  }

  /**
   * Deliver whatever is left and stop accepting points. Returns the skipped last point it
   * added (so the caller can draw exactly what was sent), or null.
   */
  finish() {
    if (this.#finished) return null;
    const last = this.#skipped;
    if (last) this.#pending.push(last);
    this.#skipped = null;
    this.#flushNow();
    this.#finished = true;
    return last;
  }

  #flushNow() {
    if (this.#cancelTimer) {
      this.#cancelTimer();
      this.#cancelTimer = null;
    }
    if (this.#pending.length === 0) return;
    const points = this.#pending;
    this.#pending = [];
    this.#lastFlushAt = this.#now();
    this.#flush(points);
  }
}
