/**
 * The shared video clock (PROTOCOL.md "Video clock and drift correction").
 *
 * The server keeps `{playing, position, rate, at}`; every client estimates the server clock
 * (`ServerClock`, server-clock.js) and, every `DRIFT_CHECK_MS`, compares its player with the
 * expected position and answers with one action: seek, set the playback rate (nudge or restore)
 * or nothing. Pure: the caller reads the player and applies the action.
 */

export const DRIFT_CHECK_MS = 250;
export const SEEK_THRESHOLD_S = 1;
export const NUDGE_THRESHOLD_S = 0.1;
export const NUDGE_FACTOR = 0.05;

/**
 * Expected player position in seconds at server time `serverTime` (ms), optionally clamped to
 * the media `duration` so an ended video is not chased past its end.
 */
export function expectedPosition(video, serverTime, duration = Infinity) {
  const elapsed = video.playing ? ((serverTime - video.at) / 1000) * video.rate : 0;
  const position = video.position + Math.max(0, elapsed);
  return Math.max(0, Math.min(position, Number.isFinite(duration) ? duration : position));
}

const sameRate = (a, b) => Math.abs(a - b) < 1e-6;

/**
 * The drift policy. Arguments describe the local player and the shared state:
 * `actual` (player position, s), `expected` (s), `rate` (shared rate), `playbackRate` (player's
 * current rate), `playing` (shared playing flag).
 *
 * Returns `{type: "seek", position}`, `{type: "rate", rate}` or `{type: "none"}`:
 * drift > 1 s → seek; 0.1–1 s while playing → rate × 1.05 when behind, × 0.95 when ahead;
 * otherwise restore `rate` if the player runs at another one. A paused player cannot catch up by
 * rate, so beyond 0.1 s it seeks.
 */
export function driftAction({ actual, expected, rate, playbackRate, playing }) {
  const drift = expected - actual;
  const size = Math.abs(drift);
  if (size > SEEK_THRESHOLD_S || (!playing && size > NUDGE_THRESHOLD_S)) {
    return { type: "seek", position: expected };
  }
  let wanted = rate;
  if (playing && size > NUDGE_THRESHOLD_S) {
    wanted = rate * (drift > 0 ? 1 + NUDGE_FACTOR : 1 - NUDGE_FACTOR);
  }
  return sameRate(wanted, playbackRate) ? { type: "none" } : { type: "rate", rate: wanted };
}
