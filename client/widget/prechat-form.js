/**
 * The widget's pre-chat step: before the first conversation, the shop may want the shopper's
 * name, or name and e-mail (`GET /api/config` → `prechat`). `ask(fields)` shows a small form with
 * only the fields still missing and resolves with `{name?, email?}`, or null when the shopper
 * cancels. Labelled fields, errors tied to them (`aria-describedby`, `aria-invalid`) and read out
 * (`role="alert"`), the first wrong field focused; Enter submits, Escape cancels.
 */

import { h } from "../shared/dom.js";
import { prechatErrors } from "./visitor.js";

const FIELDS = {
  name: { type: "text", autocomplete: "name", maxlength: "80", label: "widget.prechat.name" },
  email: {
    type: "email",
    autocomplete: "email",
    maxlength: "254",
    inputmode: "email",
    label: "widget.prechat.email",
  },
};

const ERROR_KEYS = {
  "name:required": "widget.prechat.name_required",
  "email:required": "widget.prechat.email_required",
  "email:invalid": "widget.prechat.email_invalid",
};

export class PrechatForm {
  #t;
  #fields = [];
  #resolve = null;
  #pending = null;
  #inputs = {};
  #errors = {};

  /** @param {{t: Function}} options */
  constructor({ t }) {
    this.#t = t;
    const rows = Object.entries(FIELDS).map(([field, spec]) => {
      const id = `cv-prechat-${field}`;
      this.#inputs[field] = h("input", {
        id,
        name: field,
        class: "cv-field-input",
        type: spec.type,
        autocomplete: spec.autocomplete,
        inputmode: spec.inputmode,
        maxlength: spec.maxlength,
        required: true,
        "aria-describedby": `${id}-error`,
        "data-testid": `prechat-${field}`,
        on: { input: () => this.#clearError(field) },
      });
      this.#errors[field] = h("p", {
        id: `${id}-error`,
        class: "cv-field-error",
        "data-testid": `prechat-${field}-error`,
        hidden: true,
      });
      return h(
        "div",
        { class: "cv-field", dataset: { field } },
        h("label", { for: id, text: t(spec.label) }),
        this.#inputs[field],
        this.#errors[field],
      );
    });
    this.rows = Object.fromEntries(Object.keys(FIELDS).map((field, i) => [field, rows[i]]));
    this.element = h(
      "form",
      {
        class: "cv-card cv-prechat",
        "data-testid": "prechat-form",
        "aria-labelledby": "cv-prechat-title",
        novalidate: true,
        hidden: true,
        on: {
          submit: (event) => {
            event.preventDefault();
            this.#submit();
          },
          keydown: (event) => {
            if (event.key !== "Escape") return;
            event.stopPropagation();
            this.#finish(null);
          },
        },
      },
      h("h3", { id: "cv-prechat-title", class: "cv-card-title", text: t("widget.prechat.title") }),
      h("p", { class: "cv-card-intro", text: t("widget.prechat.intro") }),
      rows,
      h(
        "div",
        { class: "cv-card-actions" },
        h("button", {
          type: "button",
          class: "cv-btn cv-link-btn",
          "data-testid": "prechat-cancel",
          text: t("widget.prechat.cancel"),
          on: { click: () => this.#finish(null) },
        }),
        h("button", {
          type: "submit",
          class: "cv-btn cv-btn--primary",
          "data-testid": "prechat-submit",
          text: t("widget.prechat.submit"),
        }),
      ),
    );
  }

  get isOpen() {
    return this.#resolve !== null;
  }

  /**
   * Ask for `fields` ("name", "email"); resolves with the answers (trimmed) or null. Asking
   * again while open answers both with the same result.
   */
  ask(fields, initial = {}) {
    if (this.#resolve) return this.#pending;
    this.#fields = fields;
    for (const [field, row] of Object.entries(this.rows)) {
      row.hidden = !fields.includes(field);
      this.#inputs[field].value = initial[field] ?? "";
      this.#clearError(field);
    }
    this.element.hidden = false;
    this.#pending = new Promise((resolve) => (this.#resolve = resolve));
    this.#inputs[fields[0]]?.focus();
    return this.#pending;
  }

  #submit() {
    const values = Object.fromEntries(
      this.#fields.map((field) => [field, this.#inputs[field].value.trim()]),
    );
    const errors = prechatErrors(this.#fields, values);
    for (const field of this.#fields) {
      if (errors[field]) this.#showError(field, errors[field]);
      else this.#clearError(field);
    }
    const wrong = this.#fields.find((field) => errors[field]);
    if (wrong) {
      this.#inputs[wrong].focus();
      return;
    }
    this.#finish(values);
  }

  #finish(values) {
    const resolve = this.#resolve;
    this.#resolve = null;
    this.#pending = null;
    this.element.hidden = true;
    resolve?.(values);
  }

  #showError(field, code) {
    this.#inputs[field].setAttribute("aria-invalid", "true");
    const line = this.#errors[field];
    line.textContent = this.#t(ERROR_KEYS[`${field}:${code}`]);
    line.hidden = false;
    line.setAttribute("role", "alert");
  }

  #clearError(field) {
    this.#inputs[field].removeAttribute("aria-invalid");
    const line = this.#errors[field];
    line.hidden = true;
    line.textContent = "";
    line.removeAttribute("role");
  }
}
