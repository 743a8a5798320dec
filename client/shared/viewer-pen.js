/**
 * Drawing one stroke with the pointer: the stroke shows at once in the state's local overlay,
 * `stroke.begin` carries the first point, sampled points follow in batches (`PointBatcher`, at
 * most every 33 ms and at most the server's `max_stroke_points` each, with their `index` in the
 * stroke so a batch sent again is harmless) and `stroke.end` closes it. Points are
 * image-normalised and clamped to [0, 1], as the server requires. The local overlay holds
 * exactly the points sent, in order: nothing moves when the line of the server's `stroke.end`
 * replaces it, and after a reconnect the session sends from it what the server lacks.
 */

import { randomId } from "./ids.js";
import { PointBatcher } from "./outgoing.js";
import { Events } from "./protocol.js";

/** Pointer samples closer than this many screen pixels are not sent. */
const SAMPLE_PX = 1.5;

const unit = (value) => Math.round(Math.min(1, Math.max(0, value)) * 1e5) / 1e5;

export class PenStroke {
  #session;
  #batcher;

  /**
   * Start a stroke at `start` (image-normalised) and send `stroke.begin`.
   * @param {object} options
   * @param {import("./conversation-session.js").ConversationSession} options.session
   * @param {number[]} options.start
   * @param {string} options.color "#rrggbb"
   * @param {number} options.width fraction of the media width
   * @param {number} options.shownWidth the media's current on-screen width in px (for sampling)
   * @param {(error: object) => void} options.onRefused the server refused the stroke
   */
  constructor({ session, start, color, width, shownWidth, onRefused }) {
    this.#session = session;
    const first = [unit(start[0]), unit(start[1])];
    this.strokeId = randomId("s", 16);
    const stroke = { stroke_id: this.strokeId, color, width, points: [first] };
    session.state.beginLocalStroke(stroke);
    session.send(Events.STROKE_BEGIN, stroke).then((ack) => {
      if (ack?.ok) {
        session.state.acceptLocalStroke(this.strokeId);
        return;
      }
      session.state.dropLocalStroke(this.strokeId);
      onRefused(ack?.error);
    });
    this.#batcher = new PointBatcher({
      start: first,
      minDistance: SAMPLE_PX / Math.max(1, shownWidth),
      maxPoints: session.limits.max_stroke_points,
      // A `conflict`: the server lacks points before these (a batch given up after retries);
      // a join sends them again from where the server's line ends.
      flush: (points, index) =>
        session
          .send(Events.STROKE_POINTS, { stroke_id: this.strokeId, index, points })
          .then((ack) => {
            if (ack?.error?.code === "conflict") session.join();
          }),
    });
  }

  /** Continue the stroke to `point` (image-normalised). */
  extend(point) {
    const clamped = [unit(point[0]), unit(point[1])];
    if (this.#batcher.add(clamped)) this.#session.state.extendLocalStroke(this.strokeId, [clamped]);
  }

  /** Lift the pen: send what is left and `stroke.end`. */
  finish() {
    const last = this.#batcher.finish();
    if (last) this.#session.state.extendLocalStroke(this.strokeId, [last]);
    this.#session.state.finishLocalStroke(this.strokeId);
    this.#session.send(Events.STROKE_END, { stroke_id: this.strokeId });
  }
}
