/**
 * Exactly-once, in-order delivery of a conversation's sequenced events.
 *
 * PROTOCOL.md guarantees `seq` starts at 1 and has no gaps, but with several server processes
 * events may arrive out of order. The sequencer applies event `n` only after `n - 1`, holds
 * back later ones, and asks for a resync (a new `join` with `last_seq`) when a hole lasts longer
 * than `gapTimeoutMs`. Around a `join` it buffers everything that arrives before the ack and
 * afterwards keeps only events newer than the ack's `seq`, so snapshot + replay never applies an
 * event twice. No DOM, no sockets: time is injected through `schedule`.
 */

import { scheduleWithTimeout } from "./schedule.js";

/** A hole in the sequence that lasts this long triggers a resync (PROTOCOL.md). */
export const GAP_TIMEOUT_MS = 2000;

export class EventSequencer {
  /** Highest `seq` applied so far (0 before anything). */
  lastSeq = 0;
  #apply;
  #resync;
  #gapTimeoutMs;
  #schedule;
  #held = new Map();
  #joining = false;
  #early = [];
  #cancelGapTimer = null;
  #gapAtSeq = -1;

  /**
   * @param {object} options
   * @param {(event: object) => void} options.apply called once per event, in `seq` order
   * @param {(lastSeq: number) => void} options.resync called when a gap outlives the timeout;
   *   the owner should send `join` with `last_seq` (and call `beginJoin` first)
   * @param {number} [options.gapTimeoutMs]
   * @param {import("./schedule.js").Schedule} [options.schedule]
   */
  constructor({ apply, resync, gapTimeoutMs = GAP_TIMEOUT_MS, schedule = scheduleWithTimeout }) {
    this.#apply = apply;
    this.#resync = resync;
    this.#gapTimeoutMs = gapTimeoutMs;
    this.#schedule = schedule;
  }

  /** True between `beginJoin` and `completeJoin`/`abortJoin`. */
  get joining() {
    return this.#joining;
  }

  /** Number of events held back waiting for a predecessor. */
  get heldCount() {
    return this.#held.size;
  }

  /** True while an event is held back because its predecessor is missing. */
  get hasGap() {
    return this.#held.size > 0;
  }

  /** Start buffering: call right before emitting `join`. */
  beginJoin() {
    this.#joining = true;
    this.#stopGapTimer();
  }

  /**
   * Finish a join with its ack (`mode` "snapshot" or "replay").
   *
   * For a snapshot the owner must already have loaded `ack.snapshot` into its state; the sequencer
   * only moves its cursor to `ack.seq`. For a replay, `ack.events` are applied (skipping any
   * already applied). Then events buffered during the join with `seq > ack.seq` are applied.
   */
  completeJoin(ack) {
    if (ack.mode === "snapshot") {
      this.lastSeq = ack.seq;
      for (const seq of [...this.#held.keys()]) {
        if (seq <= ack.seq) this.#held.delete(seq);
      }
    } else {
      for (const event of ack.events ?? []) this.#accept(event);
    }
    this.#joining = false;
    const early = this.#early;
    this.#early = [];
    for (const event of early) {
      if (event.seq > ack.seq) this.#accept(event);
    }
    this.#drain();
    this.#updateGapTimer();
  }

  /** The join failed: stop buffering and treat buffered events as if they arrived now. */
  abortJoin() {
    this.#joining = false;
    const early = this.#early;
    this.#early = [];
    for (const event of early) this.#accept(event);
    this.#updateGapTimer();
  }

  /** Feed one `event` push from the server. */
  receive(event) {
    if (this.#joining) {
      this.#early.push(event);
      return;
    }
    this.#accept(event);
    this.#updateGapTimer();
  }

  /** Forget everything (e.g. the conversation was replaced) and cancel timers. */
  reset() {
    this.lastSeq = 0;
    this.#held.clear();
    this.#early = [];
    this.#joining = false;
    this.#stopGapTimer();
  }

  #accept(event) {
    if (!Number.isInteger(event?.seq) || event.seq <= this.lastSeq) return;
    if (event.seq === this.lastSeq + 1) {
      this.lastSeq = event.seq;
      this.#apply(event);
      this.#drain();
    } else {
      this.#held.set(event.seq, event);
    }
  }

  #drain() {
    let next = this.#held.get(this.lastSeq + 1);
    while (next) {
      this.#held.delete(next.seq);
      this.lastSeq = next.seq;
      this.#apply(next);
      next = this.#held.get(this.lastSeq + 1);
    }
  }

  /** Keep one timer per hole: it restarts only when the hole moves (progress was made). */
  #updateGapTimer() {
    if (this.#joining || this.#held.size === 0) {
      this.#stopGapTimer();
      return;
    }
    if (this.#cancelGapTimer && this.#gapAtSeq === this.lastSeq) return;
    this.#stopGapTimer();
    const seqAtGap = this.lastSeq;
    this.#gapAtSeq = seqAtGap;
    this.#cancelGapTimer = this.#schedule(() => {
      this.#cancelGapTimer = null;
      if (!this.#joining && this.#held.size > 0 && this.lastSeq === seqAtGap) {
        this.#resync(this.lastSeq);
      }
    }, this.#gapTimeoutMs);
  }

  #stopGapTimer() {
    if (this.#cancelGapTimer) {
      this.#cancelGapTimer();
      this.#cancelGapTimer = null;
    }
  }
}
