/**
 * The client's estimate of the server clock, from `time` round trips (PROTOCOL.md "Video clock and
 * drift correction"): the server's `now` is taken to be the midpoint of the exchange, and the
 * sample with the shortest round trip wins. The video clock and anything else that compares
 * server timestamps with the present uses it. Pure: the local clock is injected.
 */

/** Estimate of the server clock from `time` round trips; keeps the shortest round trip. */
export class ServerClock {
  #now;
  #offset = 0;
  #bestRoundTrip = Infinity;

  /** @param {() => number} [now] local clock in ms (injected for tests) */
  constructor(now = () => Date.now()) {
    this.#now = now;
  }

  /** ms to add to the local clock to get the server clock. */
  get offset() {
    return this.#offset;
  }

  /** Round trip of the sample in use (Infinity before the first one). */
  get roundTrip() {
    return this.#bestRoundTrip;
  }

  get synced() {
    return Number.isFinite(this.#bestRoundTrip);
  }

  /**
   * Record one `time` exchange: local send time, local receive time, server `now` from the ack.
   * Returns true when it replaced the estimate (its round trip was the shortest so far).
   */
  addSample(sentAt, receivedAt, serverNow) {
    const roundTrip = receivedAt - sentAt;
    if (!(roundTrip >= 0) || !Number.isFinite(serverNow) || roundTrip >= this.#bestRoundTrip) {
      return false;
    }
    this.#bestRoundTrip = roundTrip;
    this.#offset = serverNow - (sentAt + receivedAt) / 2;
    return true;
  }

  /** Current server time in ms. */
  now() {
    return this.#now() + this.#offset;
  }

  /** Local clock in ms (the one samples are measured with). */
  localNow() {
    return this.#now();
  }
}
