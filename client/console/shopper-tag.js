/**
 * Telling anonymous shoppers apart in the console: each conversation (or live visitor) gets a
 * short code and a colour drawn from its id, the same in every list, the header and on every
 * reload, so "Shopper K7P" in the queue is "Shopper K7P" in the agent's list and on the site
 * (Intercom and tawk.to name anonymous visitors the same way). A shopper who gave a name is
 * shown by it, with the same colour. Pure but for `tagDot`.
 */

import { displayName } from "../shared/chat-view.js";
import { h } from "../shared/dom.js";

/** No 0/O, 1/I/L, 2/Z, 5/S or B/8: read out over the phone without a doubt. */
const ALPHABET = "ACDEFGHJKMNPQRTUVWXY3467";
/** Twelve hues 30° apart: neighbours in a list differ at a glance. */
const HUES = 12;

/** FNV-1a over the key's UTF-16 units: a well-spread 32-bit number. */
function hash(key) {
  let value = 0x811c9dc5;
  for (let i = 0; i < key.length; i += 1) {
    value ^= key.charCodeAt(i);
    value = Math.imul(value, 0x01000193) >>> 0;
  }
  return value;
}

/** `{code, hue}` of a conversation or visitor id: three letters and a hue in degrees. */
export function shopperTag(key) {
  let value = hash(String(key ?? ""));
  const hue = (value % HUES) * (360 / HUES);
  value = Math.floor(value / HUES);
  let code = "";
  for (let i = 0; i < 3; i += 1) {
    code += ALPHABET[value % ALPHABET.length];
    value = Math.floor(value / ALPHABET.length);
  }
  return { code, hue };
}

/** The name to show: the one the shopper gave, else "Shopper K7P" for `key`. */
export function shopperName(t, name, key) {
  const shown = displayName(t, name);
  if (shown !== displayName(t, "")) return shown;
  return t("agent.shopper_tag", { code: shopperTag(key).code });
}

/** A small dot in the shopper's colour, before their name. */
export function tagDot(key) {
  const dot = h("span", { class: "cv-tag-dot", "aria-hidden": "true", "data-testid": "shopper-dot" });
  dot.style.setProperty("--cv-tag-hue", String(shopperTag(key).hue));
  return dot;
}
