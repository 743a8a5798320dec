/**
 * Timers as an injectable function, so the pure modules (sequencing, outgoing batching, typing
 * timeouts) take time from outside and unit tests can drive it with fake timers.
 */

/**
 * @callback Schedule
 * @param {() => void} fn
 * @param {number} ms
 * @returns {() => void} cancels the timer
 */

/** The real clock: `setTimeout`, cancelled with `clearTimeout`. @type {Schedule} */
export function scheduleWithTimeout(fn, ms) {
  const handle = setTimeout(fn, ms);
  return () => clearTimeout(handle);
}
