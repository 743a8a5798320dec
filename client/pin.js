/**
 * Phone PINs as people read them out: digits only for the server, grouped by three for eyes and
 * ears ("482913" ↔ "482 913").
 */

/** Digits of whatever was typed ("482 913", "482-913" → "482913"). */
export function normalisePin(typed) {
  return String(typed ?? "").replace(/\D+/g, "");
}

/** Digits grouped by three with a space, the way the PIN is read aloud. */
export function formatPin(pin) {
  return normalisePin(pin).replace(/(\d{3})(?=\d)/g, "$1 ");
}
