/**
 * A manual clock for tests: `schedule` has the signature the client modules inject, `advance`
 * moves time and runs due timers in order. Nothing real is awaited or slept.
 */
export function fakeTimers() {
  let now = 0;
  let timers = [];
  return {
    now: () => now,
    schedule(fn, ms) {
      const timer = { at: now + ms, fn, cancelled: false };
      timers.push(timer);
      return () => {
        timer.cancelled = true;
      };
    },
    advance(ms) {
      const target = now + ms;
      for (;;) {
        const due = timers
          .filter((t) => !t.cancelled && t.at <= target)
          .sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        now = due.at;
        due.cancelled = true;
        due.fn();
      }
      timers = timers.filter((t) => !t.cancelled);
      now = target;
    },
    get pending() {
      return timers.filter((t) => !t.cancelled).length;
    },
  };
}
