import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import test from "node:test";

import {
  Catalogue,
  cents,
  decimal,
  department,
  PRODUCTS_URL,
  pictureSrc,
  productAvailability,
  productPath,
  routeOf,
  unitCents,
} from "../../../demo/shop/catalogue.js";

const shipped = JSON.parse(
  readFileSync(new URL("../../../../media/shop/products.json", import.meta.url), "utf8"),
);

test("prices become whole cents and go back as two-decimal strings", () => {
  assert.equal(cents(25.9), 2590);
  assert.equal(cents(0.29), 29);
  assert.equal(cents(74.95), 7495);
  assert.equal(decimal(7770), "77.70");
  assert.equal(decimal(5), "0.05");
  assert.equal(decimal(0), "0.00");
  assert.equal(decimal(-1250), "-12.50");
});

test("a variant costs its sale price only when that is below its price", () => {
  assert.equal(unitCents({ price: 119, sale_price: 99 }), 9900);
  assert.equal(unitCents({ price: 89, sale_price: null }), 8900);
  assert.equal(unitCents({ price: 89, sale_price: 95 }), 8900);
});

test("the shop's paths: pages by route, products by id, pictures by name", () => {
  assert.deepEqual(routeOf("/demo/shop/"), { page: "grid" });
  assert.deepEqual(routeOf("/demo/shop/cart"), { page: "cart" });
  assert.deepEqual(routeOf("/demo/shop/checkout"), { page: "checkout" });
  assert.deepEqual(routeOf("/demo/shop/products/TZ-TER"), { page: "product", id: "TZ-TER" });
  assert.deepEqual(routeOf("/demo/shop/products/A%20B"), { page: "product", id: "A B" });
  assert.equal(routeOf("/demo/shop/products/%E0%A4%A"), null);
  assert.equal(routeOf("/demo/shop/products/ZT/more"), null);
  assert.equal(routeOf("/demo"), null);
  assert.equal(productPath("ZT"), "/demo/shop/products/ZT");
  assert.equal(productPath("ZT", "ZT-ROJ-42"), "/demo/shop/products/ZT?variant=ZT-ROJ-42");
  assert.equal(pictureSrc("a b.jpg"), "/demo/shop/images/a%20b.jpg");
  assert.equal(PRODUCTS_URL, "/demo/shop/products.json");
});

test("the shipped catalogue finds every product and variant by id, with its options", async () => {
  const catalogue = await Catalogue.load(async (url) => {
    assert.equal(url, PRODUCTS_URL);
    return shipped;
  });
  assert.equal(catalogue.name, "Senda");
  assert.equal(catalogue.currency, "EUR");
  assert.equal(catalogue.products.length, shipped.products.length);
  for (const product of shipped.products) {
    assert.equal(catalogue.product(product.id).title, product.title);
    for (const variant of product.variants) {
      assert.equal(catalogue.variant(variant.id).product.id, product.id);
      assert.equal(catalogue.variant(variant.id).variant.title, variant.title);
    }
  }
  assert.deepEqual(catalogue.product("ZT").options, {
    color: ["Roja", "Azul marino"],
    size: ["40", "41", "42", "43"],
  });
  assert.deepEqual(catalogue.product("TZ-TER").options, { color: ["Terracota"], size: [] });
  assert.equal(catalogue.product("nope"), null);
  assert.equal(catalogue.variant("nope"), null);
  assert.deepEqual(catalogue.departments(), ["Calzado", "Ropa", "Accesorios", "Acampada", "Hogar"]);
  assert.equal(department(catalogue.product("ZT")), "Calzado");
});

test("a product is in stock when any variant is, else on preorder, else sold out", () => {
  const of = (...values) => ({ variants: values.map((availability) => ({ availability })) });
  assert.equal(productAvailability(of("out_of_stock", "in_stock")), "in_stock");
  assert.equal(productAvailability(of("out_of_stock", "preorder")), "preorder");
  assert.equal(productAvailability(of("out_of_stock", "sideways")), "out_of_stock");
});
