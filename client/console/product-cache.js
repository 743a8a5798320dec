/**
 * The product cards the console has asked for (`GET /api/catalogue/products/{id}`), so a
 * product a shopper looks at or has in the cart is named and pictured without asking the
 * server again each time the panel draws. `peek(id)` answers at once: the card, `null` for a
 * product the catalogue does not have (`404`), or `undefined` while it loads, and then a
 * `load` event says to draw again. A failure other than `404` is forgotten, so the next peek
 * asks again. The oldest cards go once `limit` are kept.
 */

export const CACHE_LIMIT = 500;

export class ProductCache extends EventTarget {
  #api;
  #limit;
  #cards = new Map();
  #loading = new Set();

  /**
   * @param {object} options
   * @param {{get: (path: string) => Promise<object>}} options.api the agent's REST client
   * @param {number} [options.limit]
   */
  constructor({ api, limit = CACHE_LIMIT }) {
    super();
    this.#api = api;
    this.#limit = limit;
  }

  /** The card of product `id`, `null` if there is none, `undefined` while it is asked for. */
  peek(id) {
    if (!id) return null;
    const key = String(id);
    if (this.#cards.has(key)) return this.#cards.get(key);
    if (!this.#loading.has(key)) this.#load(key);
    return undefined;
  }

  async #load(key) {
    this.#loading.add(key);
    try {
      const card = await this.#api.get(`/api/catalogue/products/${encodeURIComponent(key)}`);
      this.#keep(key, card ?? null);
    } catch (error) {
      if (error?.code !== "not_found") return;
      this.#keep(key, null);
    } finally {
      this.#loading.delete(key);
    }
    this.dispatchEvent(new CustomEvent("load", { detail: { id: key } }));
  }

  #keep(key, card) {
    this.#cards.set(key, card);
    while (this.#cards.size > this.#limit) this.#cards.delete(this.#cards.keys().next().value);
  }
}
