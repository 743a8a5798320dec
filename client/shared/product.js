/**
 * A product of the shop's feed as the client shows it, without a DOM: which variant is shown,
 * the option chips (colour, size, material) and what choosing one shows, prices in the
 * viewer's language and currency, and the `viewer.show` payloads of a product
 * (PROTOCOL.md: `{product_id, variant_id?, image?}`, `image` a picture id of the card).
 *
 * The card is the server's (`GET /api/catalogue/products/{id}`, or `media.product` of a
 * `viewer.show` event): `{id, title, brand, currency, price, availability, link, pictures:
 * [{id, width, height, src?, thumb?}], options: {color?, size?, material?}, variants: [{id,
 * color, size, material, price, sale_price, availability, link, pictures: [picture ids]}]}`.
 * Prices are decimal strings ("89.00").
 */

/** The options variants differ by, in the order their chips show; an earlier one leads. */
export const OPTION_NAMES = Object.freeze(["color", "size", "material"]);

/** The availabilities of the feed (PROTOCOL.md); anything else reads as out of stock. */
export const AVAILABILITIES = Object.freeze(["in_stock", "out_of_stock", "preorder", "backorder"]);

/** The picture files of a product picture (public, stable URLs). */
export function pictureUrl(pictureId, variant = "thumb_webp") {
  return `/api/catalogue/pictures/${encodeURIComponent(pictureId)}/${variant}`;
}

/** The variant with `variantId`, else the product's first one (null for none). */
export function currentVariant(product, variantId) {
  const variants = product?.variants ?? [];
  return variants.find((variant) => variant.id === variantId) ?? variants[0] ?? null;
}

/** The option names this product has values for, in `OPTION_NAMES` order. */
export function optionNames(product) {
  return OPTION_NAMES.filter((name) => (product?.options?.[name]?.length ?? 0) > 0);
}

/**
 * The variant shown when the option `name` is set to `value` while `current` is shown: one
 * with that value and the same values as `current` for the options before `name` (so a size
 * keeps the colour), preferring, option by option, those that also keep the later ones (a
 * colour keeps the size where that colour comes in it, else it is the first of that colour).
 * Null when no variant has that combination: its chip is disabled.
 */
export function variantFor(product, current, name, value) {
  const names = optionNames(product);
  const index = names.indexOf(name);
  if (index < 0) return null;
  const before = names.slice(0, index);
  let candidates = (product.variants ?? []).filter(
    (variant) =>
      variant[name] === value && before.every((other) => variant[other] === current?.[other]),
  );
  for (const other of names.slice(index + 1)) {
    const keeping = candidates.filter((variant) => variant[other] === current?.[other]);
    if (keeping.length > 0) candidates = keeping;
  }
  return candidates[0] ?? null;
}

/** Letter sizes from the smallest up, for ordering size chips. */
const LETTER_SIZES = ["XXXS", "XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL"];

/**
 * An option's values in the order their chips show: sizes that are all numbers ("41", "42.5")
 * or all letter sizes (S, M, XL) from small to large; anything else as the feed lists them.
 */
export function orderedValues(name, values) {
  if (name !== "size") return [...values];
  const number = (value) => Number(String(value).replace(",", "."));
  if (values.every((value) => String(value).trim() !== "" && Number.isFinite(number(value)))) {
    return [...values].sort((a, b) => number(a) - number(b));
  }
  const rank = (value) => LETTER_SIZES.indexOf(String(value).trim().toUpperCase());
  if (values.every((value) => rank(value) >= 0)) {
    return [...values].sort((a, b) => rank(a) - rank(b));
  }
  return [...values];
}

/**
 * The chips of each option the product has: `[{name, chips: [{value, pressed, disabled,
 * variantId}]}]`; `pressed` for the shown variant's value, `variantId` what choosing it shows.
 */
export function optionChips(product, variantId) {
  const current = currentVariant(product, variantId);
  return optionNames(product).map((name) => ({
    name,
    chips: orderedValues(name, product.options[name]).map((value) => {
      const target = variantFor(product, current, name, value);
      return {
        value,
        pressed: current?.[name] === value,
        disabled: target === null,
        variantId: target?.id ?? null,
      };
    }),
  }));
}

/**
 * The variant to show with picture `pictureId`: `current` when the picture is its own or
 * belongs to no variant in particular, else a variant it is of, keeping `current`'s options
 * where one does (a picture of the blue shoe shows the blue one, in the same size).
 */
export function variantForPicture(product, current, pictureId) {
  const owners = (product?.variants ?? []).filter((variant) =>
    (variant.pictures ?? []).includes(pictureId),
  );
  if (owners.length === 0 || owners.includes(current)) return current;
  let candidates = owners;
  for (const name of optionNames(product)) {
    const keeping = candidates.filter((variant) => variant[name] === current?.[name]);
    if (keeping.length > 0) candidates = keeping;
  }
  return candidates[0];
}

/**
 * `amount` (a decimal string or number) as money in `currency` for language `lang`
 * ("69,00 €" in Spanish, "€69.00" in English); without a currency, as a plain number; an
 * unknown currency code keeps the amount and the code as they are. Empty for no amount.
 */
export function formatPrice(amount, currency, lang = "en") {
  if (amount === null || amount === undefined || amount === "") return "";
  const value = Number(amount);
  if (!Number.isFinite(value)) return String(amount);
  try {
    const options = currency
      ? { style: "currency", currency }
      : { minimumFractionDigits: 0, maximumFractionDigits: 2 };
    return new Intl.NumberFormat(lang, options).format(value);
  } catch {
    return `${amount} ${currency}`;
  }
}

/**
 * The price to show for a variant or a search hit (`{price, sale_price}`): `now`, and `was`
 * (the regular price, struck through) when a sale price below it applies, else null.
 */
export function priceView(item, currency, lang = "en") {
  const price = item?.price;
  const sale = item?.sale_price;
  const onSale =
    sale !== null && sale !== undefined && sale !== "" && Number(sale) < Number(price);
  return {
    now: formatPrice(onSale ? sale : price, currency, lang),
    was: onSale ? formatPrice(price, currency, lang) : null,
  };
}

/** The availability as one of `AVAILABILITIES` (the key of its label and its colour). */
export function availabilityOf(value) {
  return AVAILABILITIES.includes(value) ? value : "out_of_stock";
}

/** `viewer.show` of a product: `{product_id, variant_id?, image?}` (PROTOCOL.md). */
export function showProduct(productId, variantId = null, image = null) {
  const payload = { product_id: String(productId) };
  if (variantId) payload.variant_id = String(variantId);
  if (image) payload.image = String(image);
  return payload;
}

/**
 * `viewer.show` of another variant (a chip): the picture on show stays when the variant has
 * it too (a size of the same colour, a picture every variant shares), else the server shows
 * the variant's first.
 */
export function showVariant(product, variantId, shownPicture = null) {
  const variant = (product?.variants ?? []).find((candidate) => candidate.id === variantId);
  const keep = shownPicture && (variant?.pictures ?? []).includes(shownPicture);
  return showProduct(product.id, variantId, keep ? shownPicture : null);
}

/** `viewer.show` of a search hit: its product on the variant that matched best. */
export function showHit(hit) {
  return showProduct(hit.id, hit.variant_id);
}
