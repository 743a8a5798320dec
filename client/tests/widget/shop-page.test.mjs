import assert from "node:assert/strict";
import { test } from "node:test";

import { Events } from "../../shared/protocol.js";
import { ShopPage } from "../../widget/shop-page.js";

function recordingSession() {
  const sent = [];
  return { sent, send: async (event, payload) => sent.push([event, payload]) ?? { ok: true } };
}

test("an add-to-cart that fails tells the conversation why, trimmed, and blanks as no reason", async () => {
  const shop = new ShopPage({ tell() {} });
  const line = { product_id: "p1", variant_id: "p1-42", quantity: 1 };
  const session = recordingSession();
  await shop.onAddToCart(async () => {
    throw new Error("  Out of stock in size 42 \n");
  });
  assert.deepEqual(await shop.add(line, session), { added: false, error: "Out of stock in size 42" });
  await shop.onAddToCart(async () => {
    throw new Error("   ");
  });
  assert.deepEqual(await shop.add(line, session), { added: false });
  await shop.onAddToCart(async () => {});
  assert.deepEqual(await shop.add(line, session), { added: true });
  assert.deepEqual(session.sent, [
    [Events.CART_ADD, { ...line, added: false, error: "Out of stock in size 42" }],
    [Events.CART_ADD, { ...line, added: false }],
    [Events.CART_ADD, { ...line, added: true }],
  ]);
});
