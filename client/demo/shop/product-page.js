/**
 * A product's page: its pictures, colour and size chips choosing the variant (the chosen one
 * is in the address as `?variant=`, so a cart line links back to it), that variant's price
 * and availability, a quantity and "Añadir al carrito".
 */

import { h } from "../../shared/dom.js";
import { optionChips } from "../../shared/product.js";
import { CartError } from "./cart.js";
import { department, pictureSrc, SHOP_PATH } from "./catalogue.js";
import { availabilityTag, chipGroup, heading, priceTag, quantityStepper, redraw } from "./parts.js";

const LEGENDS = { color: "Color", size: "Talla" };
/** Sizes that are clothes' or shoes' sizes ("42", "M", "S-M", "35-38"); others are measures. */
const WEARABLE_SIZE = /^(\d+|[A-Z]+)(-(\d+|[A-Z]+))?$/;

/**
 * Draw product `id` into `main`, or say it is not in the shop; `shop` is shop.js's
 * `{catalogue, href, addToCart}`. Returns whether the product exists.
 */
export function showProduct(main, shop, id) {
  const { catalogue } = shop;
  const product = catalogue.product(id);
  if (!product) {
    document.title = `Producto no encontrado · ${catalogue.name}`;
    main.replaceChildren(
      heading("Este producto no está en la tienda", "shop-heading"),
      h("p", {}, h("a", { href: shop.href(SHOP_PATH) }, "Ver todos los productos")),
    );
    return false;
  }
  document.title = `${product.title} · ${catalogue.name}`;
  const asked = new URLSearchParams(location.search).get("variant");
  const first =
    product.variants.find((variant) => variant.availability !== "out_of_stock") ??
    product.variants[0];
  const state = {
    variant: product.variants.find((variant) => variant.id === asked) ?? first,
    picture: 0,
    quantity: 1,
    problem: "",
  };
  const gallery = h("div", { class: "gallery" });
  const details = h("div", { class: "details" });

  const choose = (variantId) => {
    const next = product.variants.find((variant) => variant.id === variantId);
    if (!next || next === state.variant) return;
    const shown = state.variant.images[state.picture];
    state.picture = Math.max(next.images.indexOf(shown), 0);
    state.variant = next;
    state.problem = "";
    const url = new URL(location.href);
    url.searchParams.set("variant", next.id);
    history.replaceState(null, "", url);
    draw();
  };
  const add = () => {
    const { variant, quantity } = state;
    try {
      shop.addToCart({ product_id: product.id, variant_id: variant.id, quantity });
      state.problem = "";
      state.quantity = 1;
    } catch (error) {
      if (!(error instanceof CartError)) throw error;
      state.problem = error.message;
    }
    draw();
  };
  const show = (index) => {
    state.picture = index;
    draw();
  };
  const draw = () => {
    redraw(gallery, ...galleryParts(state, show));
    redraw(details, ...detailParts(product, state, shop, { choose, add, draw }));
  };
  draw();
  const kind = department(product);
  const crumbs = h(
    "nav",
    { class: "crumbs", "aria-label": "Migas de pan" },
    h("a", { href: shop.href(SHOP_PATH) }, "Tienda"),
    " › ",
    h("a", { href: shop.href(`${SHOP_PATH}?tipo=${encodeURIComponent(kind)}`) }, kind),
  );
  main.replaceChildren(crumbs, h("div", { class: "product" }, gallery, details));
  return true;
}

function galleryParts(state, show) {
  const { variant, picture } = state;
  const count = variant.images.length;
  const main = h("img", {
    class: "gallery-main",
    src: pictureSrc(variant.images[picture]),
    alt: `${variant.title}, foto ${picture + 1} de ${count}`,
    width: 800,
    height: 800,
    "data-testid": "shop-picture",
  });
  const thumbs = h(
    "ul",
    { class: "thumbs", "aria-label": "Fotos" },
    variant.images.map((name, index) =>
      h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            class: "thumb",
            "aria-label": `Foto ${index + 1} de ${count}`,
            "aria-current": index === picture ? "true" : null,
            "data-focus": `thumb:${index}`,
            on: { click: () => show(index) },
          },
          h("img", { src: pictureSrc(name), alt: "", width: 120, height: 120, loading: "lazy" }),
        ),
      ),
    ),
  );
  return [main, thumbs];
}

function detailParts(product, state, shop, { choose, add, draw }) {
  const { variant } = state;
  const orderable = variant.availability !== "out_of_stock";
  const groups = optionChips(product, variant.id).map(({ name, chips }) =>
    chipGroup({
      legend: legendOf(name, chips),
      name,
      testid: `shop-option-${name}`,
      chips: chips.map((chip) => ({
        value: chip.value,
        label: chip.value,
        checked: chip.pressed,
        disabled: chip.disabled,
        note: soldOut(product, chip.variantId) ? (name === "size" ? "agotada" : "agotado") : null,
      })),
      onChoose: (value) => choose(chips.find((chip) => chip.value === value)?.variantId),
    }),
  );
  return [
    h("p", { class: "brand-line" }, product.brand),
    heading(product.title, "shop-heading"),
    h("p", { class: "variant-line", "data-testid": "shop-variant" }, variant.title),
    priceTag(variant, shop.catalogue.currency),
    availabilityTag(variant.availability),
    ...groups,
    h(
      "div",
      { class: "buy" },
      h("label", { class: "buy-label", for: "quantity" }, "Cantidad"),
      quantityStepper({
        id: "quantity",
        label: "Cantidad",
        value: state.quantity,
        key: "quantity",
        testid: "shop-quantity",
        onChange: (quantity) => {
          state.quantity = quantity;
          state.problem = "";
          draw();
        },
      }),
      h(
        "button",
        {
          type: "button",
          class: "primary",
          disabled: !orderable,
          "data-focus": "add:button",
          "data-testid": "shop-add",
          on: { click: add },
        },
        orderable ? "Añadir al carrito" : "Agotado",
      ),
    ),
    h("p", { class: "problem", role: "alert", "data-testid": "shop-problem" }, state.problem),
    h("p", { class: "description" }, product.description),
    h("p", { class: "material" }, h("strong", {}, "Material: "), product.material),
    h(
      "p",
      { class: "more" },
      h("a", { href: shop.href(`${SHOP_PATH}cart`) }, "Ver el carrito"),
    ),
  ];
}

function legendOf(name, chips) {
  if (name !== "size") return LEGENDS[name] ?? name;
  return chips.every((chip) => WEARABLE_SIZE.test(chip.value)) ? "Talla" : "Tamaño";
}

function soldOut(product, variantId) {
  const variant = product.variants.find((candidate) => candidate.id === variantId);
  return variant?.availability === "out_of_stock";
}
