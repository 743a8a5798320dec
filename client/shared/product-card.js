/**
 * The product card of the shared viewer, on both sides: shown beside the picture (below it
 * on a narrow screen) while the viewer shows a product of the shop's feed (`media.product`).
 * Its gallery, the variant's price and availability, chips for colour, size and material, and
 * "View product" (the variant's page, else the product's).
 *
 * The card draws only what the conversation shows: a chip or a thumbnail asks the server
 * (`onChoose(payload)`, a `viewer.show` payload of product.js) and the card changes when the
 * resulting `viewer.show` event arrives, for everyone at once. While a choice is in flight
 * the card is `aria-busy`. Where the shop's page sells from the widget (`setAddToCart`),
 * the shopper's card has "Add to cart" for the variant shown.
 */

import { serverUrl } from "./api.js";
import { h } from "./dom.js";
import {
  availabilityOf,
  currentVariant,
  optionChips,
  pictureUrl,
  priceView,
  showProduct,
  showVariant,
  variantForPicture,
} from "./product.js";

let cards = 0;

export class ProductCard {
  #t;
  #origin;
  #onChoose;
  #media = null;
  #enabled = true;
  #addToCart = null;
  #id;

  /**
   * @param {object} options
   * @param {Function} options.t translator (`t.lang` formats the prices)
   * @param {string} options.origin server origin, to resolve picture paths
   * @param {(payload: object) => Promise<unknown>} options.onChoose send `viewer.show`
   */
  constructor({ t, origin, onChoose }) {
    this.#t = t;
    this.#origin = origin;
    this.#onChoose = onChoose;
    cards += 1;
    this.#id = `cv-product-${cards}`;
    this.element = h("aside", {
      class: "cv-product",
      "data-testid": "product-card",
      "aria-labelledby": `${this.#id}-title`,
      hidden: true,
    });
  }

  /**
   * The shop's add-to-cart (`({product_id, variant_id, quantity}) => Promise`), or null for
   * none: the card offers "Add to cart" only with one.
   */
  setAddToCart(addToCart) {
    if (addToCart === this.#addToCart) return;
    this.#addToCart = addToCart;
    const media = this.#media;
    this.#media = null;
    this.render(media, { enabled: this.#enabled });
  }

  /**
   * Draw `media` (the viewer's entry) when it is a product, else hide. `enabled`: whether
   * choices may be sent (joined, conversation not closed). Cheap when nothing changed.
   */
  render(media, { enabled = true } = {}) {
    if (media === this.#media && enabled === this.#enabled) return;
    this.#media = media;
    this.#enabled = enabled;
    const product = media?.product ?? null;
    this.element.hidden = !product;
    if (!product) {
      this.element.replaceChildren();
      return;
    }
    const focused = this.#focusedKey();
    const variant = currentVariant(product, media.variant_id);
    Object.assign(this.element.dataset, { productId: product.id, variantId: variant?.id ?? "" });
    this.element.removeAttribute("aria-busy");
    // No brand or a single picture leave nulls, which replaceChildren would write as text.
    const parts = [
      ...this.#summary(product, variant),
      ...this.#options(product, variant, media.id),
      this.#gallery(product, variant, media.id),
      this.#actions(product, variant),
    ];
    this.element.replaceChildren(...parts.filter(Boolean));
    if (focused) this.element.querySelector(`[data-key="${CSS.escape(focused)}"]`)?.focus();
  }

  /** The key of the card's control that has the focus, to give it back after a redraw. */
  #focusedKey() {
    const active = this.element.getRootNode().activeElement;
    return this.element.contains(active) ? (active.dataset.key ?? null) : null;
  }

  async #choose(payload) {
    if (!this.#enabled || this.element.getAttribute("aria-busy") === "true") return;
    this.element.setAttribute("aria-busy", "true");
    try {
      await this.#onChoose(payload);
    } finally {
      this.element.removeAttribute("aria-busy");
    }
  }

  #summary(product, variant) {
    const t = this.#t;
    const price = priceView(variant ?? product, product.currency, t.lang);
    const availability = availabilityOf(variant?.availability ?? product.availability);
    return [
      h("h3", {
        class: "cv-product-title",
        id: `${this.#id}-title`,
        "data-testid": "product-title",
        text: product.title,
      }),
      product.brand
        ? h("p", { class: "cv-product-brand", "data-testid": "product-brand", text: product.brand })
        : null,
      h(
        "p",
        { class: "cv-product-facts" },
        priceElement(t, price, "product-price"),
        h("span", {
          class: "cv-availability",
          "data-testid": "product-availability",
          dataset: { availability },
          text: t(`product.availability.${availability}`),
        }),
      ),
    ];
  }

  #options(product, variant, shownId) {
    const t = this.#t;
    return optionChips(product, variant?.id).map(({ name, chips }) => {
      const labelId = `${this.#id}-${name}`;
      return h(
        "div",
        {
          class: "cv-product-option",
          role: "group",
          "aria-labelledby": labelId,
          dataset: { option: name },
        },
        h("span", { class: "cv-product-option-name", id: labelId, text: t(`product.${name}`) }),
        h(
          "div",
          { class: "cv-chips" },
          ...chips.map((chip) =>
            h("button", {
              type: "button",
              class: "cv-chip",
              "data-testid": "product-chip",
              "aria-pressed": String(chip.pressed),
              title: chip.disabled ? t("product.combination_missing") : undefined,
              disabled: chip.disabled || !this.#enabled,
              dataset: { option: name, value: chip.value, key: `${name}:${chip.value}` },
              text: chip.value,
              on: {
                click: () => {
                  if (!chip.pressed && chip.variantId) {
                    this.#choose(showVariant(product, chip.variantId, shownId));
                  }
                },
              },
            }),
          ),
        ),
      );
    });
  }

  #gallery(product, variant, shownId) {
    const t = this.#t;
    const pictures = product.pictures ?? [];
    if (pictures.length < 2) return null;
    return h(
      "div",
      {
        class: "cv-product-gallery",
        role: "group",
        "aria-label": t("product.pictures"),
        "data-testid": "product-gallery",
      },
      ...pictures.map((picture, index) =>
        h(
          "button",
          {
            type: "button",
            class: "cv-product-thumb",
            "data-testid": "product-picture",
            "aria-pressed": String(picture.id === shownId),
            "aria-label": t("product.picture", { index: index + 1, count: pictures.length }),
            disabled: !this.#enabled,
            dataset: { pictureId: picture.id, key: `picture:${picture.id}` },
            on: {
              click: () => {
                if (picture.id === shownId) return;
                const target = variantForPicture(product, variant, picture.id);
                this.#choose(showProduct(product.id, target?.id, picture.id));
              },
            },
          },
          h("img", {
            src: serverUrl(this.#origin, picture.thumb ?? pictureUrl(picture.id)),
            alt: "",
            loading: "lazy",
            draggable: "false",
          }),
        ),
      ),
    );
  }

  #actions(product, variant) {
    const link = safeLink(variant?.link) ?? safeLink(product.link);
    const addToCart = this.#addToCart;
    return h(
      "div",
      { class: "cv-product-actions" },
      addToCart && variant && this.#enabled ? cartButton(this.#t, product, variant, addToCart) : null,
      link
        ? h("a", {
            class: "cv-btn cv-product-link",
            "data-testid": "product-link",
            href: link,
            target: "_blank",
            rel: "noopener noreferrer",
            text: this.#t("product.view"),
          })
        : null,
    );
  }
}

/**
 * A price as `priceView` gives it: the price to pay, and the regular one struck through (read
 * out as "Regular price …") during a sale.
 */
export function priceElement(t, price, testid) {
  return h(
    "span",
    { class: "cv-price", "data-testid": testid },
    h("span", { class: `cv-price-now${price.was ? " cv-price-now--sale" : ""}`, text: price.now }),
    price.was
      ? h(
          "del",
          { class: "cv-price-was" },
          h("span", { class: "cv-visually-hidden", text: `${t("product.regular_price")} ` }),
          price.was,
        )
      : null,
  );
}

/** A product page's address if it is a web address (never `javascript:` and the like). */
export function safeLink(link) {
  try {
    const url = new URL(link ?? "");
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * "Add to cart" for `variant` of `product`: busy while the shop's handler runs; disabled for a
 * variant out of stock. Shared by the viewer's card and the chat's product messages.
 */
export function cartButton(t, product, variant, addToCart) {
  const available = variant.availability !== "out_of_stock";
  const button = h("button", {
    type: "button",
    class: "cv-btn cv-btn--primary cv-add-to-cart",
    "data-testid": "add-to-cart",
    disabled: !available,
    title: available ? undefined : t("product.availability.out_of_stock"),
    text: t("product.add_to_cart"),
    on: {
      click: async () => {
        if (button.getAttribute("aria-busy") === "true") return;
        button.setAttribute("aria-busy", "true");
        button.textContent = t("product.adding_to_cart");
        try {
          await addToCart({ product_id: product.id, variant_id: variant.id, quantity: 1 });
        } finally {
          button.removeAttribute("aria-busy");
          button.textContent = t("product.add_to_cart");
        }
      },
    },
  });
  return button;
}
