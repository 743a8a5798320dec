import assert from "node:assert/strict";
import test from "node:test";

import {
  additionOf,
  CART_KEY,
  CartError,
  CartStore,
  cartForWidget,
  MAX_QUANTITY,
  orderForWidget,
  orderNumber,
  priced,
  readLines,
} from "../../../demo/shop/cart.js";
import { Catalogue } from "../../../demo/shop/catalogue.js";

const variant = (id, fields = {}) => ({
  id,
  title: `Camiseta ${id}`,
  color: "Roja",
  size: "M",
  availability: "in_stock",
  price: 29.9,
  sale_price: 25.9,
  images: [`${id}.jpg`],
  ...fields,
});

const catalogue = new Catalogue({
  shop: { name: "Senda", currency: "EUR" },
  products: [
    {
      id: "CT",
      title: "Camiseta",
      product_type: "Ropa > Camisetas",
      variants: [
        variant("CT-ROJ-M"),
        variant("CT-ROJ-L", { size: "L", availability: "out_of_stock" }),
        variant("CT-AZM-M", { color: "Azul marino", availability: "preorder" }),
      ],
    },
    {
      id: "TZ-TER",
      title: "Taza",
      product_type: "Hogar > Tazas",
      variants: [variant("TZ-TER", { price: 0.1, sale_price: null, size: null })],
    },
  ],
});

/** `localStorage` as far as the cart uses it. */
class MemoryStorage {
  items = new Map();
  getItem(key) {
    return this.items.get(key) ?? null;
  }
  setItem(key, value) {
    this.items.set(key, String(value));
  }
}

const refused = (request, message) =>
  assert.throws(() => additionOf(catalogue, request), (error) => {
    assert.ok(error instanceof CartError && error instanceof Error);
    assert.equal(error.message, message);
    return true;
  });

test("adding checks the product, the variant, its stock and the quantity", () => {
  const added = additionOf(catalogue, { product_id: "CT", variant_id: "CT-AZM-M", quantity: 2 });
  assert.deepEqual([added.product.id, added.variant.id, added.quantity], ["CT", "CT-AZM-M", 2]);
  const lone = additionOf(catalogue, { product_id: "TZ-TER" });
  assert.deepEqual([lone.variant.id, lone.quantity], ["TZ-TER", 1]);
  refused({ product_id: "XX", variant_id: "CT-ROJ-M" }, "Ese producto no está en la tienda.");
  refused({ product_id: "CT" }, "Falta elegir color y talla.");
  refused({ product_id: "CT", variant_id: "TZ-TER" }, "Esa variante no existe.");
  refused({ product_id: "CT", variant_id: "CT-ROJ-X" }, "Esa variante no existe.");
  refused({ product_id: "CT", variant_id: "CT-ROJ-L" }, "Ese artículo está agotado.");
  for (const quantity of [0, -1, 1.5, MAX_QUANTITY + 1, "dos", ""]) {
    refused({ product_id: "CT", variant_id: "CT-ROJ-M", quantity }, "La cantidad no es válida.");
  }
});

test("a stored cart keeps only known variants, once each, with sane quantities", () => {
  const stored = JSON.stringify({
    lines: [
      { product_id: "CT", variant_id: "CT-ROJ-M", quantity: 2 },
      { product_id: "CT", variant_id: "CT-ROJ-M", quantity: 5 },
      { product_id: "ZZ", variant_id: "gone", quantity: 1 },
      { product_id: "XX", variant_id: "TZ-TER", quantity: 99 },
      { variant_id: "CT-AZM-M", quantity: 0 },
      null,
    ],
  });
  assert.deepEqual(readLines(stored, catalogue), [
    { product_id: "CT", variant_id: "CT-ROJ-M", quantity: 2 },
    { product_id: "TZ-TER", variant_id: "TZ-TER", quantity: MAX_QUANTITY },
  ]);
  for (const text of [null, "", "{", "[]", '{"lines": 3}', '"x"']) {
    assert.deepEqual(readLines(text, catalogue), []);
  }
});

test("totals are counted in cents: three at 25.90 are 77.70, not 77.69999", () => {
  const lines = [
    { product_id: "CT", variant_id: "CT-ROJ-M", quantity: 3 },
    { product_id: "TZ-TER", variant_id: "TZ-TER", quantity: 3 },
  ];
  const cart = priced(lines, catalogue);
  assert.deepEqual([cart.count, cart.total], [6, 7800]);
  assert.deepEqual(
    cart.lines.map((row) => [row.unit, row.amount]),
    [
      [2590, 7770],
      [10, 30],
    ],
  );
  assert.deepEqual(cartForWidget(lines, catalogue), {
    items: [
      { ...lines[0], title: "Camiseta CT-ROJ-M", price: "25.90" },
      { ...lines[1], title: "Camiseta TZ-TER", price: "0.10" },
    ],
    total: "78.00",
    currency: "EUR",
  });
  assert.deepEqual(orderForWidget(lines, catalogue, "SEN-00000001"), {
    value: "78.00",
    currency: "EUR",
    order_id: "SEN-00000001",
    items: [
      { product_id: "CT", variant_id: "CT-ROJ-M", quantity: 3, price: "25.90" },
      { product_id: "TZ-TER", variant_id: "TZ-TER", quantity: 3, price: "0.10" },
    ],
  });
  assert.deepEqual(cartForWidget([], catalogue), { items: [], total: "0.00", currency: "EUR" });
});

test("an order number is SEN- and eight hexadecimal digits", () => {
  assert.equal(orderNumber((bytes) => bytes.fill(0xab)), "SEN-ABABABAB");
  assert.match(orderNumber(), /^SEN-[0-9A-F]{8}$/);
});

test("the store adds on a variant's line, changes, removes and clears, telling listeners", () => {
  const storage = new MemoryStorage();
  const store = new CartStore(storage, catalogue);
  const heard = [];
  store.subscribe((changed) => heard.push(changed.priced.count));
  assert.equal(store.add({ product_id: "CT", variant_id: "CT-ROJ-M", quantity: 2 }).id, "CT-ROJ-M");
  store.add({ product_id: "CT", variant_id: "CT-ROJ-M", quantity: 3 });
  store.add({ product_id: "TZ-TER" });
  assert.deepEqual(store.lines, [
    { product_id: "CT", variant_id: "CT-ROJ-M", quantity: 5 },
    { product_id: "TZ-TER", variant_id: "TZ-TER", quantity: 1 },
  ]);
  assert.deepEqual(JSON.parse(storage.getItem(CART_KEY)).lines, store.lines);
  assert.throws(
    () => store.add({ product_id: "CT", variant_id: "CT-ROJ-M", quantity: MAX_QUANTITY - 4 }),
    { name: "CartError", message: "Caben 10 unidades de cada artículo como mucho." },
  );
  store.setQuantity("CT-ROJ-M", 40);
  store.setQuantity("TZ-TER", 0);
  assert.deepEqual(
    store.lines.map((line) => line.quantity),
    [MAX_QUANTITY, 1],
  );
  store.remove("CT-ROJ-M");
  assert.deepEqual(store.lines.map((line) => line.variant_id), ["TZ-TER"]);
  store.clear();
  assert.deepEqual(store.lines, []);
  assert.deepEqual(heard, [2, 5, 6, 11, 11, 1, 0]);
  assert.deepEqual(new CartStore(storage, catalogue).lines, []);
});

test("the store follows another tab's changes and keeps working without storage", () => {
  const storage = new MemoryStorage();
  const store = new CartStore(storage, catalogue);
  const window = new EventTarget();
  store.watch(window);
  const heard = [];
  store.subscribe((changed) => heard.push(changed.lines.length));
  const otherTab = new CartStore(storage, catalogue);
  otherTab.add({ product_id: "TZ-TER", quantity: 2 });
  window.dispatchEvent(Object.assign(new Event("storage"), { key: "something-else" }));
  assert.deepEqual(heard, []);
  window.dispatchEvent(Object.assign(new Event("storage"), { key: CART_KEY }));
  assert.deepEqual(store.lines, [{ product_id: "TZ-TER", variant_id: "TZ-TER", quantity: 2 }]);
  storage.items.clear();
  window.dispatchEvent(Object.assign(new Event("storage"), { key: null }));
  assert.deepEqual([store.lines, heard], [[], [1, 0]]);

  const broken = {
    getItem() {
      throw new Error("SecurityError");
    },
    setItem() {
      throw new Error("QuotaExceededError");
    },
  };
  const alone = new CartStore(broken, catalogue);
  alone.add({ product_id: "TZ-TER" });
  assert.equal(alone.priced.count, 1);
});
