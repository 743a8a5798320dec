/**
 * The PIN field, one for both ends of a phone call: the shopper's phone panel and the agent
 * console's phone box. It regroups the digits by three as they are typed ("482913" → "482 913"),
 * so what is on screen matches what is read aloud; `normalisePin` takes the spaces out again.
 */

import { h } from "./dom.js";
import { formatPin } from "./pin.js";

/**
 * A numeric text field for a PIN of up to nine digits (eleven characters with the grouping
 * spaces).
 *
 * @param {object} options
 * @param {string} options.id element id, for the form's `<label for>`
 * @param {string} options.testid `data-testid`
 * @param {string} options.autocomplete "one-time-code" where the browser may offer a PIN it
 *   received, "off" where it never should
 * @returns {HTMLInputElement}
 */
export function pinInput({ id, testid, autocomplete }) {
  const input = h("input", {
    id,
    class: "cv-pin-input",
    inputmode: "numeric",
    autocomplete,
    maxlength: "11",
    placeholder: "000 000",
    "data-testid": testid,
    on: { input: () => (input.value = formatPin(input.value)) },
  });
  return input;
}
