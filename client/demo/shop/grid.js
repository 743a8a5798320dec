/**
 * The shop's front page: every product as a card (picture, brand, title, price, availability)
 * linking to its page, and chips choosing a department (`?tipo=`, kept in the address so a
 * reload or a shared link shows the same).
 */

import { h } from "../../shared/dom.js";
import { department, pictureSrc, productAvailability, productPath } from "./catalogue.js";
import { availabilityTag, chipGroup, heading, priceTag, redraw } from "./parts.js";

const ALL = "";

/** Draw the grid into `main`; `shop` is shop.js's `{catalogue, href}`. */
export function showGrid(main, shop) {
  const { catalogue } = shop;
  document.title = `${catalogue.name} · tienda de montaña`;
  const departments = catalogue.departments();
  const asked = new URLSearchParams(location.search).get("tipo") ?? ALL;
  let chosen = departments.includes(asked) ? asked : ALL;
  const list = h("ul", { class: "grid", "data-testid": "shop-grid", "aria-label": "Productos" });
  const filters = h("div", { class: "filters" });

  const draw = () => {
    const shown = catalogue.products.filter(
      (product) => chosen === ALL || department(product) === chosen,
    );
    redraw(
      filters,
      chipGroup({
        legend: "Tipo",
        name: "tipo",
        testid: "shop-filter",
        chips: [ALL, ...departments].map((value) => ({
          value,
          label: value || "Todo",
          checked: value === chosen,
        })),
        onChoose: (value) => {
          chosen = value;
          const url = new URL(location.href);
          if (value) url.searchParams.set("tipo", value);
          else url.searchParams.delete("tipo");
          history.replaceState(null, "", url);
          draw();
        },
      }),
    );
    list.replaceChildren(...shown.map((product) => card(product, shop)));
  };
  draw();
  main.replaceChildren(
    heading("Ropa y material de montaña", "shop-heading"),
    filters,
    list,
  );
}

function card(product, shop) {
  const prices = new Set(product.variants.map((variant) => variant.price));
  return h(
    "li",
    { class: "card", "data-testid": "shop-card", "data-product-id": product.id },
    h(
      "a",
      { href: shop.href(productPath(product.id)), class: "card-link" },
      h("img", {
        src: pictureSrc(product.images[0]),
        alt: "",
        loading: "lazy",
        width: 400,
        height: 400,
      }),
      h("span", { class: "card-brand" }, product.brand),
      h("h2", { class: "card-title" }, product.title),
    ),
    priceTag(product, shop.catalogue.currency, { from: prices.size > 1 }),
    availabilityTag(productAvailability(product)),
  );
}
