import assert from "node:assert/strict";
import test from "node:test";

import {
  availabilityOf,
  currentVariant,
  formatPrice,
  optionChips,
  optionNames,
  orderedValues,
  pictureUrl,
  priceView,
  showHit,
  showProduct,
  showVariant,
  variantFor,
  variantForPicture,
} from "../../shared/product.js";

const RED = "r".repeat(64);
const BLUE = "b".repeat(64);
const SOLE = "5".repeat(64);

const shoeVariant = (id, color, size, fields = {}) => ({
  id,
  title: `Zapatilla ${color} ${size}`,
  color,
  size,
  material: "",
  price: color === "Rojo" ? "89.00" : "95.00",
  sale_price: color === "Rojo" ? "69.00" : null,
  availability: "in_stock",
  link: `https://shop.example/p/${id}`,
  pictures: [color === "Rojo" ? RED : BLUE, SOLE],
  ...fields,
});

/** The card as the server builds it: options in feed order, variants in id order. */
const shoe = {
  id: "ZT-RAPIDA",
  title: "Zapatilla de trail Rápida",
  currency: "EUR",
  options: { color: ["Azul", "Rojo"], size: ["42", "43", "41"] },
  pictures: [BLUE, SOLE, RED].map((id) => ({ id, width: 800, height: 600 })),
  variants: [
    shoeVariant("ZT-A42", "Azul", "42"),
    shoeVariant("ZT-A43", "Azul", "43", { availability: "backorder" }),
    shoeVariant("ZT-R41", "Rojo", "41"),
    shoeVariant("ZT-R42", "Rojo", "42"),
  ],
};
const variant = (id) => shoe.variants.find((v) => v.id === id);

/** `{option: {value: [pressed, disabled, variantId]}}` of optionChips, for short assertions. */
function chipTable(product, variantId) {
  return Object.fromEntries(
    optionChips(product, variantId).map(({ name, chips }) => [
      name,
      Object.fromEntries(chips.map((c) => [c.value, [c.pressed, c.disabled, c.variantId]])),
    ]),
  );
}

test("the shown variant is the one named, else the first", () => {
  assert.equal(currentVariant(shoe, "ZT-R42").id, "ZT-R42");
  assert.equal(currentVariant(shoe, "gone").id, "ZT-A42");
  assert.equal(currentVariant(shoe, undefined).id, "ZT-A42");
  assert.equal(currentVariant({ variants: [] }, "x"), null);
  assert.deepEqual(optionNames(shoe), ["color", "size"]);
});

test("a colour keeps the size where that colour has it, else it is its first variant", () => {
  assert.equal(variantFor(shoe, variant("ZT-R42"), "color", "Azul").id, "ZT-A42");
  assert.equal(variantFor(shoe, variant("ZT-R41"), "color", "Azul").id, "ZT-A42");
  assert.equal(variantFor(shoe, variant("ZT-A43"), "color", "Rojo").id, "ZT-R41");
  assert.equal(variantFor(shoe, variant("ZT-A42"), "color", "Rojo").id, "ZT-R42");
  assert.equal(variantFor(shoe, variant("ZT-A42"), "color", "Verde"), null);
});

test("a size keeps the colour; a size the colour does not come in has no variant", () => {
  assert.equal(variantFor(shoe, variant("ZT-R41"), "size", "42").id, "ZT-R42");
  assert.equal(variantFor(shoe, variant("ZT-R41"), "size", "43"), null);
  assert.equal(variantFor(shoe, variant("ZT-A42"), "size", "41"), null);
  assert.equal(variantFor(shoe, variant("ZT-A42"), "size", "43").id, "ZT-A43");
  assert.equal(variantFor(shoe, variant("ZT-A42"), "material", "cotton"), null);
});

test("chips: the shown variant's values pressed, missing combinations disabled", () => {
  assert.deepEqual(chipTable(shoe, "ZT-R41"), {
    color: { Azul: [false, false, "ZT-A42"], Rojo: [true, false, "ZT-R41"] },
    size: {
      41: [true, false, "ZT-R41"],
      42: [false, false, "ZT-R42"],
      43: [false, true, null],
    },
  });
  const blue = optionChips(shoe, "ZT-A42");
  assert.deepEqual(
    blue[1].chips.map((chip) => [chip.value, chip.disabled]),
    [
      ["41", true],
      ["42", false],
      ["43", false],
    ],
  );
});

test("with colour, size and material, a material chip keeps both others", () => {
  const jacket = {
    id: "J",
    options: { color: ["Negro"], size: ["M", "S"], material: ["Lana", "Algodón"] },
    variants: [
      { id: "J1", color: "Negro", size: "S", material: "Lana" },
      { id: "J2", color: "Negro", size: "M", material: "Lana" },
      { id: "J3", color: "Negro", size: "M", material: "Algodón" },
    ],
  };
  const table = chipTable(jacket, "J2");
  assert.deepEqual(table.size, { S: [false, false, "J1"], M: [true, false, "J2"] });
  assert.deepEqual(table.material, { Lana: [true, false, "J2"], Algodón: [false, false, "J3"] });
  assert.deepEqual(chipTable(jacket, "J1").material, {
    Lana: [true, false, "J1"],
    Algodón: [false, true, null],
  });
});

test("a product with sizes only offers every size", () => {
  const socks = {
    id: "S",
    options: { size: ["L", "S", "M"] },
    variants: ["S", "M", "L"].map((size) => ({ id: `S-${size}`, size })),
  };
  assert.deepEqual(
    optionChips(socks, "S-M")[0].chips.map((chip) => [chip.value, chip.disabled, chip.variantId]),
    [
      ["S", false, "S-S"],
      ["M", false, "S-M"],
      ["L", false, "S-L"],
    ],
  );
});

test("sizes read from small to large; other options keep the feed's order", () => {
  assert.deepEqual(orderedValues("size", ["42", "38.5", "40", "41,5"]), [
    "38.5",
    "40",
    "41,5",
    "42",
  ]);
  assert.deepEqual(orderedValues("size", ["XL", "s", "M", "XXS"]), ["XXS", "s", "M", "XL"]);
  assert.deepEqual(orderedValues("size", ["Única", "M"]), ["Única", "M"]);
  assert.deepEqual(orderedValues("color", ["Rojo", "Azul"]), ["Rojo", "Azul"]);
});

test("a picture of another variant switches to it, keeping what it can", () => {
  assert.equal(variantForPicture(shoe, variant("ZT-R42"), BLUE).id, "ZT-A42");
  assert.equal(variantForPicture(shoe, variant("ZT-R41"), BLUE).id, "ZT-A42");
  assert.equal(variantForPicture(shoe, variant("ZT-R41"), SOLE).id, "ZT-R41");
  assert.equal(variantForPicture(shoe, variant("ZT-R41"), RED).id, "ZT-R41");
  assert.equal(variantForPicture(shoe, variant("ZT-R41"), "f".repeat(64)).id, "ZT-R41");
});

// Intl separates amounts and symbols with no-break spaces, which differ between ICU versions.
const spaced = (text) => text.replace(/\s/g, " ");

test("prices are formatted for the language and the currency", () => {
  assert.equal(formatPrice("89.00", "EUR", "en"), "€89.00");
  assert.equal(spaced(formatPrice("89.00", "EUR", "es")), "89,00 €");
  assert.equal(spaced(formatPrice("1289.50", "EUR", "de")), "1.289,50 €");
  assert.equal(spaced(formatPrice("1289.50", "EUR", "fr")), "1 289,50 €");
  assert.equal(spaced(formatPrice("89", "PLN", "pl")), "89,00 zł");
  assert.equal(formatPrice("1500", "JPY", "en"), "¥1,500");
  assert.equal(formatPrice("12.5", null, "en"), "12.5");
  assert.equal(formatPrice("89.00", "EURO", "en"), "89.00 EURO");
  assert.equal(formatPrice(null, "EUR", "en"), "");
  assert.equal(formatPrice("", "EUR", "en"), "");
});

test("a sale price below the regular one shows with the regular one struck through", () => {
  assert.deepEqual(priceView({ price: "89.00", sale_price: "69.00" }, "EUR", "en"), {
    now: "€69.00",
    was: "€89.00",
  });
  assert.deepEqual(priceView({ price: "89.00", sale_price: null }, "EUR", "en"), {
    now: "€89.00",
    was: null,
  });
  assert.deepEqual(priceView({ price: "89.00", sale_price: "89.00" }, "EUR", "en"), {
    now: "€89.00",
    was: null,
  });
  const spanish = priceView({ price: "95.00", sale_price: "79.90" }, "EUR", "es");
  assert.deepEqual([spaced(spanish.now), spaced(spanish.was)], ["79,90 €", "95,00 €"]);
});

test("another variant keeps the picture on show when it has it too", () => {
  const payload = (variantId, shown) => showVariant(shoe, variantId, shown);
  assert.deepEqual(payload("ZT-A43", SOLE), {
    product_id: "ZT-RAPIDA",
    variant_id: "ZT-A43",
    image: SOLE,
  });
  assert.deepEqual(payload("ZT-R42", RED).image, RED);
  assert.deepEqual(payload("ZT-A42", RED), { product_id: "ZT-RAPIDA", variant_id: "ZT-A42" });
  assert.deepEqual(payload("ZT-A42", null), { product_id: "ZT-RAPIDA", variant_id: "ZT-A42" });
});

test("availability is one of the feed's four", () => {
  assert.equal(availabilityOf("backorder"), "backorder");
  assert.equal(availabilityOf("discontinued"), "out_of_stock");
  assert.equal(availabilityOf(undefined), "out_of_stock");
});

test("viewer.show payloads name the product, the variant and the picture", () => {
  assert.deepEqual(showProduct("ZT-RAPIDA"), { product_id: "ZT-RAPIDA" });
  assert.deepEqual(showProduct("ZT-RAPIDA", "ZT-A42"), {
    product_id: "ZT-RAPIDA",
    variant_id: "ZT-A42",
  });
  assert.deepEqual(showProduct("ZT-RAPIDA", "ZT-A42", SOLE), {
    product_id: "ZT-RAPIDA",
    variant_id: "ZT-A42",
    image: SOLE,
  });
  assert.deepEqual(showHit({ id: "ZT-RAPIDA", variant_id: "ZT-R41", title: "x" }), {
    product_id: "ZT-RAPIDA",
    variant_id: "ZT-R41",
  });
  assert.equal(pictureUrl(SOLE), `/api/catalogue/pictures/${SOLE}/thumb_webp`);
  assert.equal(pictureUrl(SOLE, "display_webp"), `/api/catalogue/pictures/${SOLE}/display_webp`);
});
