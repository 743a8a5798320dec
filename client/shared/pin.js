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

/**
 * What a PIN field for `length` digits looks like: its `maxLength` (the digits plus the grouping
 * spaces, 7 for 6 digits) and its `placeholder` (zeros grouped the same way, "000 000").
 */
export function pinField(length) {
  const placeholder = formatPin("0".repeat(Math.max(1, Math.trunc(length) || 1)));
  return { maxLength: placeholder.length, placeholder };
}
