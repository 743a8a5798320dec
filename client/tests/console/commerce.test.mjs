import assert from "node:assert/strict";
import test from "node:test";

import { ProductCache } from "../../console/product-cache.js";
import { cartCount, cartKey, lineTotal } from "../../console/shopper-panel.js";
import { visitorOf } from "../../console/visitors.js";

const cart = {
  items: [
    {
      product_id: "TR-1",
      variant_id: "TR-1-42",
      title: "Zapatilla roja 42",
      quantity: 2,
      price: "0.10",
    },
    { product_id: "CAP", title: "Gorra", quantity: 1, price: "19.90" },
  ],
  total: "20.10",
  currency: "EUR",
};

test("a cart counts units, not lines", () => {
  assert.equal(cartCount(cart), 3);
  assert.equal(cartCount({ items: [] }), 0);
  assert.equal(cartCount(null), 0);
});

test("a line's amount is its unit price times its quantity, to the cent", () => {
  assert.equal(lineTotal(cart.items[0]), "0.20");
  assert.equal(lineTotal({ price: "0.10", quantity: 3 }), "0.30");
  assert.equal(lineTotal({ price: "89.90", quantity: 1 }), "89.90");
  assert.equal(lineTotal({ price: "x", quantity: 1 }), "");
});

test("the same cart told again is no change; another quantity is", () => {
  assert.equal(cartKey(cart), cartKey(structuredClone(cart)));
  const more = structuredClone(cart);
  more.items[1].quantity = 2;
  assert.notEqual(cartKey(cart), cartKey(more));
  assert.equal(cartKey(null), "");
});

test("the visitor of a conversation is the live one chatting in it", () => {
  const live = [
    { id: "v1", conversation_id: null, product_id: "A" },
    { id: "v2", conversation_id: "c2", product_id: "B" },
  ];
  assert.equal(visitorOf(live, "c2").id, "v2");
  assert.equal(visitorOf(live, "c3"), null);
  assert.equal(visitorOf(live, null), null);
});

/** An `Api` whose answers the test gives: a card, a 404, or another failure. */
function fakeApi(answers) {
  const asked = [];
  return {
    asked,
    get: async (path) => {
      asked.push(path);
      const answer = answers[decodeURIComponent(path.split("/").at(-1))];
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

const loaded = (cache) =>
  new Promise((resolve) => cache.addEventListener("load", resolve, { once: true }));

test("a card is asked for once, then known; a product the catalogue lacks is null", async () => {
  const api = fakeApi({
    "TR/1": { id: "TR/1", title: "Zapatilla" },
    gone: Object.assign(new Error("no"), { code: "not_found" }),
  });
  const cache = new ProductCache({ api });
  const first = loaded(cache);
  assert.equal(cache.peek("TR/1"), undefined, "loading");
  assert.equal(cache.peek("TR/1"), undefined, "still loading, not asked twice");
  await first;
  assert.equal(cache.peek("TR/1").title, "Zapatilla");
  assert.deepEqual(api.asked, ["/api/catalogue/products/TR%2F1"]);
  const second = loaded(cache);
  cache.peek("gone");
  await second;
  assert.equal(cache.peek("gone"), null);
  assert.equal(cache.peek(null), null);
  assert.equal(api.asked.length, 2);
});

test("a failure other than not_found is forgotten, so the next peek asks again", async () => {
  const api = fakeApi({ P: Object.assign(new Error("down"), { code: "unavailable" }) });
  const cache = new ProductCache({ api });
  cache.peek("P");
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(cache.peek("P"), undefined);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(api.asked.length, 2);
});

test("the oldest cards go beyond the limit", async () => {
  const api = fakeApi({ a: { id: "a" }, b: { id: "b" }, c: { id: "c" } });
  const cache = new ProductCache({ api, limit: 2 });
  for (const id of ["a", "b", "c"]) {
    const done = loaded(cache);
    cache.peek(id);
    await done;
  }
  assert.equal(cache.peek("c").id, "c");
  assert.equal(cache.peek("b").id, "b");
  assert.equal(cache.peek("a"), undefined, "asked again");
});
