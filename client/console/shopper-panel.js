/**
 * What the shopper of the open conversation is doing in the shop, above the agent's chat: the
 * product the shopper looks at (the visitor's `product_id`, PROTOCOL.md "Live visitors"), with a
 * button that puts it in the shared viewer, and the shopper's cart as the shop's page told it
 * (the conversation's `cart`, kept current by `cart.updated`): its total and number of items in
 * the summary, its lines when opened, each line's product one click from the viewer. The panel
 * flashes briefly when the cart changes, so an agent sees an add-to-cart without looking for it.
 *
 * Product names and pictures come from a `ProductCache`. DOM-free and tested in node:
 * `cartCount`, `lineTotal` and `cartKey`.
 */

import { serverUrl } from "../shared/api.js";
import { h } from "../shared/dom.js";
import { formatPrice, pictureUrl, priceView, showProduct } from "../shared/product.js";

/** How long the panel stays highlighted after the cart changed. */
export const FLASH_MS = 1600;

/** How many units a cart holds (a line of 2 counts 2). */
export function cartCount(cart) {
  return (cart?.items ?? []).reduce((sum, item) => sum + (Number(item.quantity) || 0), 0);
}

/**
 * A line's amount: its unit `price` times its `quantity`, in cents so 3 × 0.10 is 0.30, as a
 * two-decimal string.
 */
export function lineTotal(item) {
  const cents = Math.round(Number(item?.price) * 100) * (Number(item?.quantity) || 0);
  return Number.isFinite(cents) ? (cents / 100).toFixed(2) : "";
}

/** A cart's identity for telling a change from the same cart drawn again ("" for none). */
export function cartKey(cart) {
  return cart ? JSON.stringify([cart.total, cart.currency, cart.items]) : "";
}

/** The variant of `card` that `id` names, else the card (its lowest price). */
function told(card, id) {
  return (card.variants ?? []).find((variant) => variant.id === id) ?? card;
}

export class ShopperPanel {
  #t;
  #origin;
  #products;
  #onShow;
  #enabled = false;
  #productId = null;
  #cart = null;
  #conversationId = null;
  #flashTimer = null;

  /**
   * @param {object} options
   * @param {Function} options.t translator
   * @param {string} options.origin server origin, for picture URLs
   * @param {import("./product-cache.js").ProductCache} options.products
   * @param {(payload: object) => void} options.onShow show a product in the viewer
   */
  constructor({ t, origin, products, onShow }) {
    this.#t = t;
    this.#origin = origin;
    this.#products = products;
    this.#onShow = onShow;
    this.lookingAt = h("div", { class: "cv-looking", "data-testid": "looking-at", hidden: true });
    this.cartTotal = h("span", { class: "cv-cart-total", "data-testid": "cart-total" });
    this.cartCount = h("span", { class: "cv-cart-count", "data-testid": "cart-count" });
    this.cartLines = h("div", { class: "cv-cart-lines" });
    this.cart = h(
      "details",
      { class: "cv-cart", "data-testid": "cart-panel", hidden: true },
      h(
        "summary",
        { class: "cv-cart-summary" },
        h("span", { class: "cv-cart-title", text: t("agent.commerce.cart_title") }),
        this.cartCount,
        this.cartTotal,
      ),
      this.cartLines,
    );
    this.element = h(
      "section",
      {
        class: "cv-shopper",
        "data-testid": "shopper-panel",
        "aria-label": t("agent.commerce.label"),
        hidden: true,
      },
      this.lookingAt,
      this.cart,
    );
    products.addEventListener("load", () => this.#draw());
  }

  /**
   * Draw the panel for conversation `conversationId`: `cart` (or null), the `productId` the
   * shopper looks at (or null), `enabled` whether the viewer can show a product now.
   */
  render({ conversationId = null, cart = null, productId = null, enabled = false }) {
    const sameConversation = conversationId === this.#conversationId;
    const changed = sameConversation && cart && cartKey(cart) !== cartKey(this.#cart);
    if (!sameConversation) this.cart.open = false;
    this.#conversationId = conversationId;
    this.#cart = cart;
    this.#productId = productId;
    this.#enabled = enabled;
    this.#draw();
    if (changed) this.#flash();
    else if (!sameConversation) this.#unflash();
  }

  #draw() {
    this.#drawLookingAt();
    this.#drawCart();
    this.element.hidden = this.lookingAt.hidden && this.cart.hidden;
  }

  #drawLookingAt() {
    const t = this.#t;
    const id = this.#productId;
    const card = id ? this.#products.peek(id) : null;
    this.lookingAt.hidden = !id || card === null;
    if (this.lookingAt.hidden) {
      this.lookingAt.replaceChildren();
      return;
    }
    const picture = card?.pictures?.[0];
    this.lookingAt.replaceChildren(
      picture
        ? h("img", {
            class: "cv-looking-thumb",
            src: serverUrl(this.#origin, pictureUrl(picture.id)),
            alt: "",
          })
        : h("span", { class: "cv-looking-thumb" }),
      h(
        "span",
        { class: "cv-looking-text" },
        h("span", { class: "cv-looking-label", text: t("agent.commerce.looking_at") }),
        h("strong", {
          class: "cv-looking-title",
          "data-testid": "looking-at-title",
          text: card?.title ?? "…",
        }),
        card
          ? h("span", {
              class: "cv-looking-price",
              "data-testid": "looking-at-price",
              text: priceView(told(card, id), card.currency, t.lang).now,
            })
          : null,
      ),
      h("button", {
        type: "button",
        class: "cv-btn",
        "data-testid": "looking-at-show",
        disabled: !this.#enabled || !card,
        text: t("agent.commerce.show"),
        on: { click: () => this.#onShow(showProduct(id)) },
      }),
    );
  }

  #drawCart() {
    const t = this.#t;
    const cart = this.#cart;
    this.cart.hidden = !cart;
    if (!cart) {
      this.cartLines.replaceChildren();
      return;
    }
    this.cartCount.textContent = t("agent.commerce.cart_items", { count: cartCount(cart) });
    this.cartTotal.textContent = formatPrice(cart.total, cart.currency, t.lang);
    const items = cart.items ?? [];
    this.cartLines.replaceChildren(
      items.length
        ? h(
            "ul",
            { class: "cv-cart-items" },
            ...items.map((item) => this.#line(item, cart.currency)),
          )
        : h("p", { class: "cv-list-empty", text: t("agent.commerce.cart_empty") }),
    );
  }

  #line(item, currency) {
    const t = this.#t;
    return h(
      "li",
      {
        class: "cv-cart-item",
        "data-testid": "cart-item",
        dataset: { productId: item.product_id },
      },
      h("span", { class: "cv-cart-quantity", text: `${item.quantity} ×` }),
      h("button", {
        type: "button",
        class: "cv-link-button cv-cart-product",
        "data-testid": "cart-item-show",
        title: t("agent.commerce.show"),
        disabled: !this.#enabled,
        text: item.title,
        on: { click: () => this.#onShow(showProduct(item.product_id, item.variant_id)) },
      }),
      h("span", { class: "cv-cart-amount", text: formatPrice(lineTotal(item), currency, t.lang) }),
    );
  }

  #flash() {
    this.element.classList.add("cv-shopper--changed");
    clearTimeout(this.#flashTimer);
    this.#flashTimer = setTimeout(() => this.#unflash(), FLASH_MS);
  }

  #unflash() {
    clearTimeout(this.#flashTimer);
    this.element.classList.remove("cv-shopper--changed");
  }
}
