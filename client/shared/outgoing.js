/**
 * Getting client events to the server in order and within the rate limits.
 *
 * The server applies one connection's commands in the order they arrive, so `OrderedEmitter`
 * keeps several events in flight (no round trip per event), paces itself under the server's rate
 * limits, retries after `rate_limited`, and merges queued events that supersede each other (point
 * batches of one stroke, transforms, typing flags).
 * `PointBatcher` samples a stroke's points and flushes them at most every 33 ms, each batch with
 * its place in the stroke (`index`). Batches hold at most the server's `max_stroke_points`
 * (protocol.js limits; 256 by default).
 * No DOM, no sockets: `send` and the clock are injected.
 */

import { DEFAULT_LIMITS, Events } from "./protocol.js";
import { scheduleWithTimeout } from "./schedule.js";

export const POINT_FLUSH_MS = 33;
const MAX_RATE_LIMIT_RETRIES = 5;

/**
 * Merge a queued, not yet sent event with a newer one when the newer one makes it redundant
 * or can ride along. Returns the merged payload, or null when both must be sent. Point batches
 * merge only up to `maxPoints` points (the server's `max_stroke_points`); the merged batch keeps
 * the queued one's `index`, and of the newer one only the points past the queued one's end (a
 * batch sent again overlaps), so batches with a hole between them are not merged.
 */
export function coalesceOutgoing(queued, next, maxPoints = DEFAULT_LIMITS.max_stroke_points) {
  if (queued.event !== next.event) return null;
  if (queued.payload.conversation_id !== next.payload.conversation_id) return null;
  switch (next.event) {
    case Events.STROKE_POINTS: {
      if (queued.payload.stroke_id !== next.payload.stroke_id) return null;
      const [from, to] = [queued.payload.index, next.payload.index];
      const placed = Number.isInteger(from) && Number.isInteger(to);
      const overlap = placed ? from + queued.payload.points.length - to : 0;
      if (overlap < 0) return null;
      const points = [...queued.payload.points, ...next.payload.points.slice(overlap)];
      return points.length <= maxPoints ? { ...queued.payload, points } : null;
    }
    case Events.VIEWER_TRANSFORM:
    case Events.CHAT_TYPING:
      return next.payload;
    default:
      return null;
  }
}

/**
 * The rate limit that counts a client event: the name of its entry in the server's limits
 * (`chat_rate`, `stroke_rate`, `other_rate`; PROTOCOL.md *Rate limits (per connection)*).
 */
export function rateClass(event) {
  if (event === Events.CHAT_SEND || event === Events.CHAT_TYPING) return "chat_rate";
  if (event.startsWith("stroke.")) return "stroke_rate";
  return "other_rate";
}

const RATE_CLASSES = ["chat_rate", "stroke_rate", "other_rate"];

/**
 * Events the server does not hand to its journal at once (it looks something up first), so a
 * later event could overtake them: the emitter sends them alone, after everything before them
 * was answered, and sends nothing after them until they are.
 */
export const BARRIER_EVENTS = new Set([
  Events.VIEWER_SHOW,
  Events.CHAT_HISTORY,
  Events.PRODUCT_SEND,
  Events.CART_ADD,
]);

/** A token bucket: `wait()` says how many ms until one token is there; `take()` spends one. */
class TokenBucket {
  #rate;
  #burst;
  #now;
  #tokens;
  #at;

  constructor({ rate, burst }, now) {
    this.#rate = rate;
    // One token of margin: joins and clock samples count against the server's buckets too.
    this.#burst = Math.max(1, burst - 1);
    this.#now = now;
    this.#tokens = this.#burst;
    this.#at = now();
  }

  #refill() {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#at) / 1000) * this.#rate);
    this.#at = now;
  }

  wait() {
    this.#refill();
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) / this.#rate) * 1000);
  }

  take() {
    this.#refill();
    this.#tokens -= 1;
  }
}

/**
 * Sends events in the order they were emitted without waiting one round trip per event: the
 * server applies the commands of one connection in arrival order, so up to `window` events are
 * in flight at once (`BARRIER_EVENTS` excepted, see there). It paces itself under the server's
 * rate limits, retries after `rate_limited`, and merges a queued, not yet sent event with a newer
 * one that supersedes it (point batches of one stroke, transforms, typing flags).
 */
export class OrderedEmitter {
  #send;
  #schedule;
  #coalesce;
  #window;
  #now;
  #buckets;
  /** Events not answered yet, in emit order; `sent` tells which are in flight. */
  #items = [];
  #inFlight = 0;
  #cancelWait = null;

  /**
   * @param {object} options
   * @param {(event: string, payload: object) => Promise<object>} options.send resolves with the
   *   ack (`{ok: true, ...}` or the error shape; transport failures as `{ok: false, error}` too)
   * @param {import("./schedule.js").Schedule} [options.schedule]
   * @param {(queued: object, next: object) => object|null} [options.coalesce]
   * @param {number} [options.window] most events in flight at once
   * @param {() => number} [options.now] ms clock for the pacing
   * @param {typeof DEFAULT_LIMITS} [options.limits] the server's limits (`loadLimits`); their
   *   rate limits pace the sending
   */
  constructor({
    send,
    schedule = scheduleWithTimeout,
    coalesce = coalesceOutgoing,
    window = 16,
    now = () => Date.now(),
    limits = DEFAULT_LIMITS,
  }) {
    this.#send = send;
    this.#schedule = schedule;
    this.#coalesce = coalesce;
    this.#window = Math.max(1, window);
    this.#now = now;
    this.#buckets = Object.fromEntries(
      RATE_CLASSES.map((name) => [
        name,
        new TokenBucket(limits[name] ?? DEFAULT_LIMITS[name], now),
      ]),
    );
  }

  /** Events waiting or in flight. */
  get size() {
    return this.#items.length;
  }

  /** Events sent and not answered yet. */
  get inFlight() {
    return this.#inFlight;
  }

  /** Queue `event`; resolves with its ack (shared with any event merged into it). */
  emit(event, payload) {
    return new Promise((resolve) => {
      const last = this.#items.at(-1);
      const merged = last && !last.sent ? this.#coalesce(last, { event, payload }) : null;
      if (merged) {
        last.payload = merged;
        last.resolvers.push(resolve);
      } else {
        this.#items.push({ event, payload, resolvers: [resolve], retries: 0, sent: false });
      }
      this.#pump();
    });
  }

  /** Drop everything not yet sent; their promises resolve with `{ok: false, code: cancelled}`. */
  cancelPending() {
    const unsent = this.#items.filter((item) => !item.sent);
    this.#items = this.#items.filter((item) => item.sent);
    for (const item of unsent) {
      for (const resolve of item.resolvers) {
        resolve({ ok: false, error: { code: "cancelled", message: "not sent" } });
      }
    }
  }

  #pump() {
    if (this.#cancelWait) return;
    for (;;) {
      const item = this.#items.find((candidate) => !candidate.sent);
      if (!item || this.#inFlight >= this.#window) return;
      const barrierInFlight = this.#items.some((other) => other.sent && other.barrier);
      const barrier = BARRIER_EVENTS.has(item.event);
      if (barrierInFlight || (barrier && this.#inFlight > 0)) return;
      const bucket = this.#buckets[rateClass(item.event)];
      const wait = bucket?.wait() ?? 0;
      if (wait > 0) {
        this.#pause(wait);
        return;
      }
      bucket?.take();
      item.sent = true;
      item.barrier = barrier;
      this.#inFlight += 1;
      this.#sendItem(item);
    }
  }

  #pause(ms) {
    this.#cancelWait = this.#schedule(() => {
      this.#cancelWait = null;
      this.#pump();
    }, ms);
  }

  async #sendItem(item) {
    let ack;
    try {
      ack = await this.#send(item.event, item.payload);
    } catch (error) {
      ack = { ok: false, error: { code: "offline", message: String(error?.message ?? error) } };
    }
    this.#inFlight -= 1;
    if (ack?.error?.code === "rate_limited" && item.retries < MAX_RATE_LIMIT_RETRIES) {
      // Sent again first, before anything not yet sent; events already in flight behind it
      // may land before it (the pacing makes this rare).
      item.retries += 1;
      item.sent = false;
      const seconds = Number(ack.error.retry_after) || 1;
      this.#cancelWait?.();
      this.#pause(seconds * 1000);
      return;
    }
    this.#items.splice(this.#items.indexOf(item), 1);
    for (const resolve of item.resolvers) resolve(ack);
    this.#pump();
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
 * at most every `intervalMs` (leading edge: the first batch goes out at once), each with the
 * place of its first point in the stroke (the start point is 0, so the first batch is at 1).
 * Points closer than `minDistance` (image-normalised) to the last kept one are skipped, except
 * the very last point of the stroke, which `finish` always delivers.
 */
export class PointBatcher {
  #flush;
  #intervalMs;
  #minDistance;
  #maxPoints;
  #now;
  #schedule;
  #pending = [];
  /** The place in the stroke of the next point flushed. */
  #index = 1;
  #lastKept;
  #skipped = null;
  #lastFlushAt = -Infinity;
  #cancelTimer = null;
  #finished = false;

  /**
   * @param {object} options
   * @param {(points: number[][], index: number) => void} options.flush receives 1–`maxPoints`
   *   points per call and the place of the first in the stroke
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
    const index = this.#index;
    this.#pending = [];
    this.#index += points.length;
    this.#lastFlushAt = this.#now();
    this.#flush(points, index);
  }
}
