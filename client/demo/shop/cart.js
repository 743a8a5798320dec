/**
 * The demo shop's cart, without a DOM: lines of `{product_id, variant_id, quantity}` kept in
 * the page's `localStorage` under `CART_KEY` (prices and titles are always read from the
 * catalogue, never stored), what adding a variant checks, and the shapes Covisor's page
 * calls take: `covisor.setCart` (`cartForWidget`) and `covisor.trackConversion`
 * (`orderForWidget`). Every amount is counted in whole cents and sent as a decimal string.
 */

import { decimal, unitCents } from "./catalogue.js";

export const CART_KEY = "senda:cart";
/** At most this many units of one variant: a demo shop has no stock counts. */
export const MAX_QUANTITY = 10;

/** A refusal to add to the cart, its message a short reason in the shop's language (Spanish). */
export class CartError extends Error {
  name = "CartError";
}

/**
 * What adding `request` (`{product_id, variant_id, quantity}`, as `covisor.onAddToCart`
 * hands it; the variant may be left out for a product with only one) means: `{product,
 * variant, quantity}`. Throws a `CartError` for an unknown or sold-out variant or a quantity
 * that is not a whole number from 1 to `MAX_QUANTITY`.
 */
export function additionOf(catalogue, request) {
  const product = catalogue.product(String(request?.product_id ?? ""));
  if (!product) throw new CartError("Ese producto no está en la tienda.");
  const only = product.variants.length === 1 ? product.variants[0].id : null;
  const variantId = request?.variant_id ?? only;
  if (variantId === null) throw new CartError("Falta elegir color y talla.");
  const found = catalogue.variant(String(variantId));
  if (!found || found.product !== product) throw new CartError("Esa variante no existe.");
  if (found.variant.availability === "out_of_stock") {
    throw new CartError("Ese artículo está agotado.");
  }
  const quantity = Number(request?.quantity ?? 1);
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) {
    throw new CartError("La cantidad no es válida.");
  }
  return { product, variant: found.variant, quantity };
}

/**
 * The lines of a stored cart (text that any script of the origin may have written): those of
 * variants the catalogue knows, each variant once, quantities whole and within 1 to
 * `MAX_QUANTITY`. Anything unreadable is an empty cart.
 */
export function readLines(text, catalogue) {
  let stored;
  try {
    stored = JSON.parse(text ?? "null");
  } catch {
    return [];
  }
  const lines = [];
  for (const line of Array.isArray(stored?.lines) ? stored.lines : []) {
    const found = catalogue.variant(String(line?.variant_id ?? ""));
    const quantity = Math.min(Math.trunc(Number(line?.quantity)), MAX_QUANTITY);
    if (!found || !(quantity >= 1) || lines.some((kept) => kept.variant_id === found.variant.id)) {
      continue;
    }
    lines.push({ product_id: found.product.id, variant_id: found.variant.id, quantity });
  }
  return lines;
}

/**
 * The cart's lines with what they cost: `{lines: [{product_id, variant_id, quantity,
 * product, variant, unit, amount}], count, total}`, `unit` and `amount` (unit × quantity)
 * and `total` in cents, `count` the units.
 */
export function priced(lines, catalogue) {
  const rows = lines.map((line) => {
    const { product, variant } = catalogue.variant(line.variant_id);
    const unit = unitCents(variant);
    return { ...line, product, variant, unit, amount: unit * line.quantity };
  });
  return {
    lines: rows,
    count: rows.reduce((sum, row) => sum + row.quantity, 0),
    total: rows.reduce((sum, row) => sum + row.amount, 0),
  };
}

/**
 * `covisor.setCart`'s argument: `{items: [{product_id, variant_id, title, quantity, price}],
 * total, currency}`, `price` a unit's.
 */
export function cartForWidget(lines, catalogue) {
  const cart = priced(lines, catalogue);
  return {
    items: cart.lines.map((row) => ({
      product_id: row.product_id,
      variant_id: row.variant_id,
      title: row.variant.title,
      quantity: row.quantity,
      price: decimal(row.unit),
    })),
    total: decimal(cart.total),
    currency: catalogue.currency,
  };
}

/**
 * `covisor.trackConversion`'s argument for an order of `lines`: `{value, currency, order_id,
 * items: [{product_id, variant_id, quantity, price}]}`.
 */
export function orderForWidget(lines, catalogue, orderId) {
  const cart = priced(lines, catalogue);
  return {
    value: decimal(cart.total),
    currency: catalogue.currency,
    order_id: orderId,
    items: cart.lines.map((row) => ({
      product_id: row.product_id,
      variant_id: row.variant_id,
      quantity: row.quantity,
      price: decimal(row.unit),
    })),
  };
}

/** A new order number: "SEN-" and eight random hexadecimal digits (`random(bytes)` fills them). */
export function orderNumber(random = (bytes) => crypto.getRandomValues(bytes)) {
  const digits = [...random(new Uint8Array(4))].map((byte) => byte.toString(16).padStart(2, "0"));
  return `SEN-${digits.join("").toUpperCase()}`;
}

/**
 * The cart of this browser: its lines, kept in `storage` (a `Storage`; one that throws, as a
 * private window's may, leaves the cart in this page only). `watch(window)` follows changes
 * other tabs make; listeners of `subscribe` hear every change, this tab's and theirs.
 */
export class CartStore {
  #storage;
  #catalogue;
  #lines;
  #listeners = new Set();

  constructor(storage, catalogue) {
    this.#storage = storage;
    this.#catalogue = catalogue;
    this.#lines = this.#read();
  }

  get lines() {
    return this.#lines;
  }

  /** `{lines, count, total}` of `priced`. */
  get priced() {
    return priced(this.#lines, this.#catalogue);
  }

  /**
   * Add `request` (`additionOf`'s) to the cart, on the line of its variant if there is one;
   * returns the variant added. Throws a `CartError` (nothing changed) when `additionOf` does,
   * or when the line would exceed `MAX_QUANTITY`.
   */
  add(request) {
    const { product, variant, quantity } = additionOf(this.#catalogue, request);
    const line = this.#lines.find((candidate) => candidate.variant_id === variant.id);
    const total = (line?.quantity ?? 0) + quantity;
    if (total > MAX_QUANTITY) {
      throw new CartError(`Caben ${MAX_QUANTITY} unidades de cada artículo como mucho.`);
    }
    this.#write(
      line
        ? this.#lines.map((other) => (other === line ? { ...line, quantity: total } : other))
        : [...this.#lines, { product_id: product.id, variant_id: variant.id, quantity }],
    );
    return variant;
  }

  /** Set a line's quantity (kept within 1 to `MAX_QUANTITY`). */
  setQuantity(variantId, quantity) {
    const whole = Math.min(Math.max(Math.trunc(Number(quantity)) || 1, 1), MAX_QUANTITY);
    const change = (line) => (line.variant_id === variantId ? { ...line, quantity: whole } : line);
    this.#write(this.#lines.map(change));
  }

  remove(variantId) {
    this.#write(this.#lines.filter((line) => line.variant_id !== variantId));
  }

  clear() {
    this.#write([]);
  }

  /** `listener(store)` after every change; returns what stops it. */
  subscribe(listener) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Follow the cart as other tabs change it (`storage` events of `target`, the window). */
  watch(target) {
    target.addEventListener("storage", (event) => {
      // A null key: another tab cleared the whole storage.
      if (event.key !== CART_KEY && event.key !== null) return;
      this.#lines = this.#read();
      this.#notify();
    });
  }

  #read() {
    try {
      return readLines(this.#storage.getItem(CART_KEY), this.#catalogue);
    } catch {
      return [];
    }
  }

  #write(lines) {
    this.#lines = lines;
    try {
      this.#storage.setItem(CART_KEY, JSON.stringify({ lines }));
    } catch {
      // No storage (a private window, a full quota): the cart lives as long as the page.
    }
    this.#notify();
  }

  #notify() {
    for (const listener of this.#listeners) listener(this);
  }
}
