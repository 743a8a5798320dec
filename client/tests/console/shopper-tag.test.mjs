import assert from "node:assert/strict";
import { test } from "node:test";

import { createTranslator } from "../../shared/i18n.js";
import { shopperName, shopperTag } from "../../console/shopper-tag.js";

const t = createTranslator("en", {
  "chat.name.shopper": "Shopper",
  "agent.shopper_tag": "Shopper {code}",
});

test("a shopper's code and colour come from the id, the same every time", () => {
  assert.deepEqual(shopperTag("c_abc123"), shopperTag("c_abc123"));
  const { code, hue } = shopperTag("c_abc123");
  assert.match(code, /^[ACDEFGHJKMNPQRTUVWXY3467]{3}$/);
  assert.ok(hue >= 0 && hue < 360 && hue % 30 === 0, String(hue));
});

test("two hundred conversations are told apart by their codes", () => {
  const codes = new Set(Array.from({ length: 200 }, (_, n) => shopperTag(`c_${n}x7Q`).code));
  assert.ok(codes.size >= 195, String(codes.size));
  const hues = new Set(Array.from({ length: 50 }, (_, n) => shopperTag(`c_${n}`).hue));
  assert.ok(hues.size >= 10, "the colours spread over the wheel");
});

test("only a shopper without a name gets the code; a given name stays", () => {
  const code = shopperTag("c_1").code;
  assert.equal(shopperName(t, "Shopper", "c_1"), `Shopper ${code}`);
  assert.equal(shopperName(t, "", "c_1"), `Shopper ${code}`);
  assert.equal(shopperName(t, null, "c_1"), `Shopper ${code}`);
  assert.equal(shopperName(t, "Ana García", "c_1"), "Ana García");
});
