/**
 * The cart's two pages. The cart: its lines, each with its quantity to change and a button to
 * remove it, and the total. The checkout: the order's summary and "Confirmar pedido", which asks
 * for no personal data (a demo keeps none), reports the order to Covisor
 * (`covisor.trackConversion`), empties the cart and shows the order's number. Both follow the
 * cart as it changes, here, in another tab or by an agent's hand.
 */

import { h } from "../../shared/dom.js";
import { orderForWidget, orderNumber } from "./cart.js";
import { pictureSrc, productPath, SHOP_PATH } from "./catalogue.js";
import { heading, money, quantityStepper, redraw } from "./parts.js";
import { callWidget } from "./widget-link.js";

/** Draw the cart into `main`; `shop` is shop.js's. */
export function showCart(main, shop) {
  document.title = `Carrito · ${shop.catalogue.name}`;
  const checkout = () =>
    h(
      "a",
      { class: "primary", href: shop.href(`${SHOP_PATH}checkout`), "data-testid": "shop-checkout" },
      "Tramitar pedido",
    );
  const body = basket(shop, { label: "Artículos del carrito", editable: true, after: checkout });
  main.replaceChildren(heading("Tu carrito", "shop-heading"), body);
}

/** Draw the checkout into `main`: the order until it is confirmed, then its confirmation. */
export function showCheckout(main, shop) {
  document.title = `Confirmar pedido · ${shop.catalogue.name}`;
  const confirm = () => {
    const cart = shop.store.priced;
    const order = orderForWidget(shop.store.lines, shop.catalogue, orderNumber());
    shop.store.clear();
    // The order stands whether or not Covisor hears of it.
    callWidget("trackConversion", order).catch(() => {});
    main.replaceChildren(...confirmation(order, cart, shop));
    main.querySelector("h1").focus();
  };
  const after = () => [
    h(
      "p",
      { class: "privacy" },
      "Es una tienda de demostración: no te pedimos nombre, dirección ni pago, y nada se envía.",
    ),
    h(
      "button",
      { type: "button", class: "primary", "data-testid": "shop-confirm", on: { click: confirm } },
      "Confirmar pedido",
    ),
  ];
  const body = basket(shop, { label: "Tu pedido", editable: false, after });
  main.replaceChildren(heading("Confirmar pedido", "shop-heading"), body);
}

/**
 * The cart's lines (`editable`: with their steppers and remove buttons) and total, then what
 * `after()` adds, or a word that it is empty; drawn again whenever the cart changes.
 */
function basket(shop, { label, editable, after }) {
  const body = h("div", { class: "basket" });
  const draw = () => {
    const cart = shop.store.priced;
    const parts =
      cart.lines.length === 0
        ? empty(shop)
        : [lines(cart, shop, label, editable), total(cart, shop), after()].flat();
    redraw(body, ...parts);
  };
  draw();
  shop.store.subscribe(draw);
  return body;
}

function confirmation(order, cart, shop) {
  return [
    heading("¡Pedido confirmado!", "shop-heading"),
    h(
      "p",
      { class: "order-number" },
      "Número de pedido: ",
      h("strong", { "data-testid": "shop-order-number" }, order.order_id),
    ),
    lines(cart, shop, "Tu pedido", false),
    total(cart, shop),
    h("p", {}, h("a", { href: shop.href(SHOP_PATH) }, "Seguir comprando")),
  ];
}

function lines(cart, shop, label, editable) {
  return h(
    "ul",
    { class: "lines", "aria-label": label, "data-testid": "shop-lines" },
    cart.lines.map((row) => line(row, shop, editable)),
  );
}

/** A cart line; `editable` adds its quantity stepper and its remove button. */
function line(row, shop, editable) {
  const { product, variant } = row;
  const currency = shop.catalogue.currency;
  const options = [variant.color, variant.size].filter(Boolean).join(" · ");
  return h(
    "li",
    { class: "line", "data-testid": "shop-line", "data-variant-id": variant.id },
    h("img", { src: pictureSrc(variant.images[0]), alt: "", width: 96, height: 96 }),
    h(
      "div",
      { class: "line-text" },
      h(
        "a",
        { href: shop.href(productPath(product.id, variant.id)), class: "line-title" },
        product.title,
      ),
      h("span", { class: "line-options" }, options),
      h("span", { class: "line-unit" }, `${money(row.unit, currency)} / unidad`),
    ),
    editable
      ? quantityStepper({
          label: `Cantidad de ${variant.title}`,
          value: row.quantity,
          key: `line-${variant.id}`,
          testid: "shop-line-quantity",
          onChange: (quantity) => shop.store.setQuantity(variant.id, quantity),
        })
      : h("span", { class: "line-quantity" }, `× ${row.quantity}`),
    h(
      "span",
      { class: "line-amount", "data-testid": "shop-line-amount" },
      money(row.amount, currency),
    ),
    editable
      ? h(
          "button",
          {
            type: "button",
            class: "remove",
            "aria-label": `Eliminar ${variant.title}`,
            "data-testid": "shop-line-remove",
            on: { click: () => remove(shop, variant.id) },
          },
          "Eliminar",
        )
      : null,
  );
}

/** Remove a line; the focus, whose button is gone, goes to the page's heading. */
function remove(shop, variantId) {
  shop.store.remove(variantId);
  document.querySelector("main h1")?.focus();
}

function total(cart, shop) {
  return h(
    "p",
    { class: "total" },
    h("span", {}, `Total (${cart.count} ${cart.count === 1 ? "artículo" : "artículos"})`),
    h("strong", { "data-testid": "shop-total" }, money(cart.total, shop.catalogue.currency)),
  );
}

function empty(shop) {
  return [
    h("p", { class: "empty", "data-testid": "shop-empty" }, "Tu carrito está vacío."),
    h("p", {}, h("a", { href: shop.href(SHOP_PATH) }, "Ver los productos")),
  ];
}
