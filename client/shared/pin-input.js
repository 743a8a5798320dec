/**
 * The PIN field, one for both ends of a phone call: the shopper's phone panel and the agent
 * console's phone box. It regroups the digits by three as they are typed ("482913" → "482 913"),
 * so what is on screen matches what is read aloud; `normalisePin` takes the spaces out again.
 */

import { h } from "./dom.js";
import { formatPin, pinField } from "./pin.js";
import { DEFAULT_LIMITS } from "./protocol.js";

/**
 * A numeric text field for a PIN of `length` digits (the server's `pin_length`): as long as the
 * grouped PIN, with a placeholder of as many zeros ("000 000" for six).
 *
 * @param {object} options
 * @param {string} options.id element id, for the form's `<label for>`
 * @param {string} options.testid `data-testid`
 * @param {string} options.autocomplete "one-time-code" where the browser may offer a PIN it
 *   received, "off" where it never should
 * @param {number} [options.length] digits of a PIN
 * @returns {HTMLInputElement}
 */
export function pinInput({ id, testid, autocomplete, length = DEFAULT_LIMITS.pin_length }) {
  const { maxLength, placeholder } = pinField(length);
  const input = h("input", {
    id,
    class: "cv-pin-input",
    inputmode: "numeric",
    autocomplete,
    maxlength: String(maxLength),
    placeholder,
    "data-testid": testid,
    on: { input: () => (input.value = formatPin(input.value)) },
  });
  return input;
}
