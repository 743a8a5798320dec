/**
 * The pieces the demo shop's pages are built of: prices, availability, option chips (radio
 * buttons, so arrow keys move between them), the quantity stepper, and redrawing a part of a
 * page without losing the keyboard's place in it.
 */

import { h } from "../../shared/dom.js";
import { availabilityOf, formatPrice, priceView } from "../../shared/product.js";
import { MAX_QUANTITY } from "./cart.js";
import { AVAILABILITY_TEXT } from "./catalogue.js";

export const LANG = "es";

/** Cents as money the Spanish way: 7770 → "77,70 €". */
export function money(amountCents, currency) {
  return formatPrice(amountCents / 100, currency, LANG);
}

/**
 * The price of `item` (`{price, sale_price}`): the sale price beside the struck regular one
 * when it is on sale; `from` reads "desde" before it (a product whose variants differ).
 */
export function priceTag(item, currency, { from = false } = {}) {
  const { now, was } = priceView(item, currency, LANG);
  return h(
    "p",
    { class: was ? "price price--sale" : "price", "data-testid": "shop-price" },
    from ? "desde " : null,
    was ? h("span", { class: "visually-hidden" }, "Ahora ") : null,
    h("strong", {}, now),
    was ? " " : null,
    was ? h("del", {}, h("span", { class: "visually-hidden" }, "antes "), was) : null,
  );
}

export function availabilityTag(value) {
  const known = availabilityOf(value);
  return h(
    "span",
    { class: `availability availability--${known}`, "data-testid": "shop-availability" },
    AVAILABILITY_TEXT[known],
  );
}

/**
 * A group of chips to choose one of: `chips` are `{value, label, checked, disabled?, note?}`
 * (`note`, such as "agotada", is read after the label and struck on screen);
 * `onChoose(value)` when one is chosen. Each is a radio button in a labelled fieldset.
 */
export function chipGroup({ legend, name, chips, onChoose, testid }) {
  return h(
    "fieldset",
    { class: "chips", "data-testid": testid },
    h("legend", {}, legend),
    chips.map((chip) =>
      h(
        "label",
        { class: chip.note ? "chip chip--note" : "chip" },
        h("input", {
          type: "radio",
          name,
          value: chip.value,
          checked: chip.checked,
          disabled: chip.disabled,
          "data-focus": `${name}:${chip.value}`,
          on: { change: () => onChoose(chip.value) },
        }),
        h("span", {}, chip.label),
        chip.note ? h("span", { class: "chip-note" }, ` ${chip.note}`) : null,
      ),
    ),
  );
}

/**
 * A quantity from 1 to `MAX_QUANTITY`: a number field between "−" and "+" buttons, labelled
 * `label` (`id`, if given, is the field's, for a visible `<label for>`); `onChange(quantity)`
 * after each change. `key` keeps focus across redraws.
 */
export function quantityStepper({ id, label, value, onChange, key, testid }) {
  const field = h("input", {
    id,
    type: "number",
    inputmode: "numeric",
    min: 1,
    max: MAX_QUANTITY,
    value: String(value),
    "aria-label": label,
    "data-focus": `${key}:field`,
    "data-testid": `${testid}-field`,
    on: {
      // A field changes as focus leaves it (Tab): `onChange` redraws, so it waits until the
      // focus has landed, and the redraw gives it back to where the keyboard went.
      change: () => setTimeout(() => onChange(clamp(field.valueAsNumber))),
    },
  });
  const step = (by, text, sign) =>
    h("button", {
      type: "button",
      class: "step",
      "aria-label": `${text}: ${label}`,
      disabled: by < 0 ? value <= 1 : value >= MAX_QUANTITY,
      "data-focus": `${key}:${sign}`,
      "data-testid": `${testid}-${by < 0 ? "less" : "more"}`,
      text: sign,
      on: { click: () => onChange(clamp(value + by)) },
    });
  return h(
    "div",
    { class: "stepper", "data-testid": testid },
    step(-1, "Quitar uno", "−"),
    field,
    step(1, "Añadir uno", "+"),
  );
}

function clamp(quantity) {
  if (!Number.isFinite(quantity)) return 1;
  return Math.min(Math.max(Math.trunc(quantity), 1), MAX_QUANTITY);
}

/**
 * Replace `container`'s content with `nodes`; the element that had the focus gets it back
 * through its `data-focus` key when the new content has one (a redraw after a chip, a "+"
 * or another tab's change must not throw the keyboard back to the top of the page). A key
 * reads "group:part"; when that part is gone or disabled (the "+" at the most), another
 * part of its group takes the focus.
 */
export function redraw(container, ...nodes) {
  const key = container.contains(document.activeElement)
    ? document.activeElement?.dataset?.focus
    : null;
  container.replaceChildren(...nodes);
  if (!key) return;
  const group = key.split(":")[0];
  const usable = [...container.querySelectorAll("[data-focus]")].filter(
    (element) => !element.disabled && element.dataset.focus.split(":")[0] === group,
  );
  (usable.find((element) => element.dataset.focus === key) ?? usable[0])?.focus();
}

/** A page's heading that focus moves to after a change of the whole page's content. */
export function heading(text, testid) {
  return h("h1", { tabindex: "-1", "data-testid": testid }, text);
}
