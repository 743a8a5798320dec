/**
 * A product the agent sent in the chat (`product.sent`, a timeline item of kind "product"), on
 * both sides: its picture, title, the suggested variant's options and price, "View product",
 * and, where the shop's page sells from the widget (`covisor.onAddToCart`), "Add to cart".
 *
 * `addToCart({product_id, variant_id, quantity})` runs the shop's own add-to-cart; the outcome
 * reaches both sides as a `cart.added` notice (chat-view.js), so the button only shows that it
 * is at work. Without it (the console, a shop without a handler) there is no button.
 */

import { serverUrl } from "./api.js";
import { h } from "./dom.js";
import { currentVariant, OPTION_NAMES, pictureUrl, priceView } from "./product.js";
import { cartButton, priceElement, safeLink } from "./product-card.js";

/**
 * @param {object} options
 * @param {Function} options.t translator (`t.lang` formats the price)
 * @param {string} options.origin server origin, to resolve picture paths
 * @param {object} options.item the timeline item (`product`, `variantId`, `seq`, `actor`)
 * @param {((line: object) => Promise<unknown>)|null} [options.addToCart]
 */
export function productMessage({ t, origin, item, addToCart = null }) {
  const product = item.product;
  const variant = currentVariant(product, item.variantId);
  const pictureId = variant?.pictures?.[0] ?? product.pictures?.[0]?.id ?? null;
  const picture = (product.pictures ?? []).find((p) => p.id === pictureId);
  const options = OPTION_NAMES.map((name) => variant?.[name]).filter(Boolean);
  const link = safeLink(variant?.link) ?? safeLink(product.link);
  const titleId = `cv-sent-${item.seq}`;
  return h(
    "article",
    {
      class: "cv-sent-product",
      "data-testid": "product-message",
      "aria-labelledby": titleId,
      dataset: { productId: product.id, variantId: variant?.id ?? "" },
    },
    pictureId
      ? h("img", {
          class: "cv-sent-picture",
          src: serverUrl(origin, picture?.thumb ?? pictureUrl(pictureId)),
          alt: "",
          loading: "lazy",
        })
      : null,
    h(
      "div",
      { class: "cv-sent-body" },
      h("p", { class: "cv-sent-label", text: t("product.sent_label") }),
      h("h3", { class: "cv-sent-title", id: titleId, text: product.title }),
      options.length
        ? h("p", { class: "cv-sent-options", text: options.join(" · ") })
        : null,
      priceElement(t, priceView(variant ?? product, product.currency, t.lang), "sent-price"),
      h(
        "div",
        { class: "cv-sent-actions" },
        addToCart && variant ? cartButton(t, product, variant, addToCart) : null,
        link
          ? h("a", {
              class: "cv-btn cv-sent-link",
              "data-testid": "product-message-link",
              href: link,
              target: "_blank",
              rel: "noopener noreferrer",
              text: t("product.view"),
            })
          : null,
      ),
    ),
  );
}
