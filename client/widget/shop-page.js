/**
 * The shop's page selling through the widget (docs/CLIENT.md, `window.covisor`):
 * `setCart(cart)` whenever its cart changes, `onAddToCart(handler)` with its own add-to-cart,
 * `setProduct(id)` on a product's page.
 *
 * What the page tells goes to the live visitors list (the tracker's `visitor.shop`) and, while
 * the shopper chats, the cart to the conversation (`cart.set`, through `sync`). `add` runs the
 * shop's handler for a product of the viewer or of a product message and reports the outcome
 * to the conversation (`cart.add`), which shows it to both sides. No DOM.
 *
 * Events: `handler` (an add-to-cart handler was set or removed).
 */

import { Events } from "../shared/protocol.js";

const MAX_ITEMS = 100;

/** The id of a product or variant as the feed has it (at most 50 characters), or null. */
function feedId(value) {
  if (value === null || value === undefined || value === "") return null;
  const id = String(value);
  if (id.length > 50) throw new TypeError("covisor: product ids are at most 50 characters");
  return id;
}

/**
 * The cart as `cart.set` and `visitor.shop` take it (PROTOCOL.md), or a `TypeError` saying
 * what is wrong. Amounts go as given (numbers or decimal strings); the server checks them.
 */
export function cartPayload(cart) {
  const items = cart?.items;
  if (!Array.isArray(items) || items.length > MAX_ITEMS) {
    throw new TypeError(`covisor.setCart: items must be a list of at most ${MAX_ITEMS}`);
  }
  if (!/^[A-Za-z]{3}$/.test(String(cart.currency ?? ""))) {
    throw new TypeError("covisor.setCart: currency must be a 3-letter code");
  }
  return {
    items: items.map((item) => {
      const line = {
        product_id: feedId(item?.product_id),
        title: String(item?.title ?? "").slice(0, 200),
        quantity: Number(item?.quantity),
        price: typeof item?.price === "number" ? item.price : String(item?.price ?? ""),
      };
      if (!line.product_id || !line.title || !Number.isInteger(line.quantity)) {
        throw new TypeError("covisor.setCart: each item needs product_id, title and quantity");
      }
      const variant = feedId(item.variant_id);
      if (variant) line.variant_id = variant;
      return line;
    }),
    total: typeof cart.total === "number" ? cart.total : String(cart.total ?? ""),
    currency: String(cart.currency).toUpperCase(),
  };
}

export class ShopPage extends EventTarget {
  #tracker;
  #cart = null;
  #productId = null;
  #handler = null;
  /** conversation id → the cart last sent to it (JSON), so an unchanged cart is not resent. */
  #sent = new Map();

  /** @param {{tell: Function}} tracker the visitor tracker (visitor-tracker.js) */
  constructor(tracker) {
    super();
    this.#tracker = tracker;
  }

  get canAdd() {
    return this.#handler !== null;
  }

  /** `covisor.setCart(cart)`; rejects with a `TypeError` for a cart of the wrong shape. */
  async setCart(cart) {
    this.#cart = cartPayload(cart);
    this.#tell();
    this.dispatchEvent(new Event("cart"));
  }

  /** `covisor.setProduct(id)`: the product this page is about (null: none). */
  async setProduct(id) {
    this.#productId = feedId(id);
    this.#tell();
  }

  /** `covisor.onAddToCart(handler)`: the shop's add-to-cart, or null to offer none. */
  async onAddToCart(handler) {
    if (handler !== null && typeof handler !== "function") {
      throw new TypeError("covisor.onAddToCart takes a function or null");
    }
    this.#handler = handler;
    this.dispatchEvent(new Event("handler"));
  }

  /** Send the cart to `session`'s conversation unless it has it already (or is closed). */
  sync(session) {
    const state = session?.state;
    if (!this.#cart || !session.joined || state?.status === "closed") return;
    const wire = JSON.stringify(this.#cart);
    if (this.#sent.get(state.id) === wire) return;
    this.#sent.set(state.id, wire);
    session.send(Events.CART_SET, { cart: this.#cart }).then((ack) => {
      if (!ack?.ok && this.#sent.get(state.id) === wire) this.#sent.delete(state.id);
    });
  }

  /**
   * Run the shop's add-to-cart for `line` (`{product_id, variant_id, quantity}`) and tell the
   * conversation of `session` how it went; resolves to `{added, error?}`.
   */
  async add(line, session) {
    const handler = this.#handler;
    if (!handler) return { added: false };
    let outcome;
    try {
      await handler({ ...line });
      outcome = { added: true };
    } catch (error) {
      // Trimmed: the server refuses a reason of blanks only (PROTOCOL.md `cart.add`).
      const reason = String(error?.message ?? error ?? "").trim().slice(0, 200);
      outcome = reason ? { added: false, error: reason } : { added: false };
    }
    await session?.send(Events.CART_ADD, { ...line, ...outcome });
    return outcome;
  }

  #tell() {
    this.#tracker.tell({ productId: this.#productId, cart: this.#cart });
  }
}
