/**
 * The demo shop's catalogue, without a DOM: `products.json` (written by media/shop_feed.py
 * from the same data as the feed the server imports) as the pages read it, money in whole
 * cents, and the shop's paths.
 *
 * A product is `{id, title, description, brand, product_type, material, currency, price,
 * sale_price, images, variants: [{id, title, color, size, availability, price, sale_price,
 * images}]}`, its id the feed's `item_group_id` (or the item's id for a lone item), a
 * variant's id the feed item's. Prices there are numbers with two decimals at most; every sum
 * here is made in integer cents, so 3 × 25.90 is 77.70, never 77.69999.
 */

import { availabilityOf } from "../../shared/product.js";

export const PRODUCTS_URL = "/demo/shop/products.json";
export const SHOP_PATH = "/demo/shop/";

/** What a shopper reads for each availability of the feed. */
export const AVAILABILITY_TEXT = Object.freeze({
  in_stock: "En stock",
  out_of_stock: "Agotado",
  preorder: "Preventa",
  backorder: "Bajo pedido",
});

/** A price of products.json (a number such as 25.9) in whole cents. */
export function cents(amount) {
  return Math.round(Number(amount) * 100);
}

/** Cents as the decimal string Covisor's calls take: 8900 → "89.00". */
export function decimal(amountCents) {
  const sign = amountCents < 0 ? "-" : "";
  const whole = Math.abs(amountCents);
  return `${sign}${Math.floor(whole / 100)}.${String(whole % 100).padStart(2, "0")}`;
}

/** What one unit of `variant` costs, in cents: its sale price when one below the price applies. */
export function unitCents(variant) {
  const sale = variant.sale_price;
  const onSale = sale !== null && sale !== undefined && cents(sale) < cents(variant.price);
  return cents(onSale ? sale : variant.price);
}

/** The shop's top-level department of a product: "Calzado" of "Calzado > Trail". */
export function department(product) {
  return String(product.product_type ?? "").split(">")[0].trim();
}

/**
 * A product's availability as a whole, for the grid: in stock when any variant is, else on
 * preorder when any is, else sold out.
 */
export function productAvailability(product) {
  const all = product.variants.map((variant) => availabilityOf(variant.availability));
  const orderable = ["in_stock", "preorder", "backorder"].find((value) => all.includes(value));
  return orderable ?? "out_of_stock";
}

/** The shop's URL of a picture of products.json. */
export function pictureSrc(name) {
  return `${SHOP_PATH}images/${encodeURIComponent(name)}`;
}

/**
 * Which shop page `pathname` is: `{page: "grid"}`, `{page: "product", id}`, `{page: "cart"}`
 * or `{page: "checkout"}`; null for none of them.
 */
export function routeOf(pathname) {
  if (pathname === SHOP_PATH) return { page: "grid" };
  if (pathname === `${SHOP_PATH}cart`) return { page: "cart" };
  if (pathname === `${SHOP_PATH}checkout`) return { page: "checkout" };
  const product = pathname.match(/^\/demo\/shop\/products\/([^/]+)$/);
  if (product) {
    try {
      return { page: "product", id: decodeURIComponent(product[1]) };
    } catch {
      return null;
    }
  }
  return null;
}

/** The path of a product's page (the feed's `link`), on `variantId` when one is given. */
export function productPath(productId, variantId = null) {
  const path = `${SHOP_PATH}products/${encodeURIComponent(productId)}`;
  return variantId ? `${path}?variant=${encodeURIComponent(variantId)}` : path;
}

/**
 * The shop's products, found by id: products and variants by theirs. Each product also gets
 * `options` (`{color: [...], size: [...]}`, the values its variants take, in their order) so
 * that client/shared/product.js picks variants from chips as the widget's product card does.
 */
export class Catalogue {
  #products = new Map();
  #variants = new Map();

  /** `data`: products.json's content. */
  constructor(data) {
    this.name = String(data?.shop?.name ?? "");
    this.currency = String(data?.shop?.currency ?? "EUR");
    this.products = (data?.products ?? []).map((product) => ({
      ...product,
      options: {
        color: distinct(product.variants.map((variant) => variant.color)),
        size: distinct(product.variants.map((variant) => variant.size)),
      },
    }));
    for (const product of this.products) {
      this.#products.set(product.id, product);
      for (const variant of product.variants) {
        this.#variants.set(variant.id, { product, variant });
      }
    }
  }

  /** products.json from the server (`fetchJson(url)` resolves to its parsed body). */
  static async load(fetchJson) {
    return new Catalogue(await fetchJson(PRODUCTS_URL));
  }

  /** The product with `id`, or null. */
  product(id) {
    return this.#products.get(id) ?? null;
  }

  /** `{product, variant}` of the variant with `id`, or null. */
  variant(id) {
    return this.#variants.get(id) ?? null;
  }

  /** The departments, in the order the catalogue first lists them. */
  departments() {
    return distinct(this.products.map(department));
  }
}

/** The values once each, in their first order, without empty ones. */
function distinct(values) {
  const present = values.filter((value) => value !== null && value !== undefined && value !== "");
  return [...new Set(present)];
}
