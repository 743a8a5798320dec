/**
 * The Invitation rules panel of the agent console, for admins (PROTOCOL.md "Proactive
 * invitations", `/api/invitation-rules`): every rule with whether it is on, what its conditions
 * ask for in words ("on *boots* · after 20 s · 2+ pages · phones · returning visitors") and
 * the languages it has a message for; creating, editing (the whole rule is sent), switching a
 * rule on or off, and deleting one after a confirmation.
 *
 * The form's checks (`ruleProblem`) use the server's limits (covisor/invitations.py `RuleBody`,
 * `Conditions`); `ruleBody` sends only the conditions that are set. Both are pure, tested in
 * node, as is the summary (`conditionsSummary`).
 */

import {
  AdminPanel,
  adminItem,
  adminForm,
  adminList,
  adminPanel,
  clearLines,
  confirmStep,
  errorLine,
  fillList,
  formActions,
  itemControl,
  openButton,
  statusLine,
  submitButton,
} from "./admin-panel.js";
import { h, icon } from "../../shared/dom.js";
import { LANGUAGES, errorText } from "../../shared/i18n.js";

export const MAX_NAME = 80;
export const MAX_URL = 500;
export const MAX_SECONDS = 86_400;
export const MIN_PAGES = 1;
export const MAX_PAGES = 1000;
export const MAX_MESSAGE = 500;
export const MAX_MESSAGES = 20;
export const DEVICES = Object.freeze(["phone", "tablet", "desktop"]);
export const VISITORS = Object.freeze(["new", "returning"]);
export const TRIGGER = /^[A-Za-z0-9_.:-]{1,64}$/;
const LANGUAGE = /^[a-z]{2,3}$/;

const chars = (text) => [...String(text ?? "")].length;

/** A whole number typed in a field within `min`–`max`; "" for an empty field; else null. */
export function parseWhole(raw, min, max) {
  const text = String(raw ?? "").trim();
  if (text === "") return "";
  if (!/^\d+$/.test(text)) return null;
  const value = Number(text);
  return value >= min && value <= max ? value : null;
}

/**
 * What the form holds, as plain data: `{name, enabled, url, seconds, pages, devices, visitor,
 * trigger, messages: [{lang, text}]}` (numbers as typed, `visitor` "" for anyone).
 */
export function formFromRule(rule) {
  const c = rule?.conditions ?? {};
  return {
    name: rule?.name ?? "",
    enabled: rule ? rule.enabled !== false : true,
    url: c.url ?? "",
    seconds: c.seconds != null ? String(c.seconds) : "",
    pages: c.pages != null ? String(c.pages) : "",
    devices: DEVICES.filter((device) => (c.devices ?? []).includes(device)),
    visitor: VISITORS.includes(c.visitor) ? c.visitor : "",
    trigger: c.trigger ?? "",
    messages: Object.entries(rule?.messages ?? {}).map(([lang, text]) => ({ lang, text })),
  };
}

/**
 * What is wrong with the form, or null: `{key, field, index?}` with the locale key of the
 * problem and the field to fix (`index`: which message row).
 */
export function ruleProblem(form) {
  const name = String(form.name ?? "").trim();
  if (!name || chars(name) > MAX_NAME) return { key: "agent.rules.invalid_name", field: "name" };
  if (chars(String(form.url ?? "").trim()) > MAX_URL)
    return { key: "agent.rules.invalid_url", field: "url" };
  if (parseWhole(form.seconds, 0, MAX_SECONDS) === null)
    return { key: "agent.rules.invalid_seconds", field: "seconds" };
  if (parseWhole(form.pages, MIN_PAGES, MAX_PAGES) === null)
    return { key: "agent.rules.invalid_pages", field: "pages" };
  if ((form.devices ?? []).some((device) => !DEVICES.includes(device)))
    return { key: "agent.rules.invalid_devices", field: "devices" };
  if (form.visitor && !VISITORS.includes(form.visitor))
    return { key: "agent.rules.invalid_visitor", field: "visitor" };
  const trigger = String(form.trigger ?? "").trim();
  if (trigger && !TRIGGER.test(trigger))
    return { key: "agent.rules.invalid_trigger", field: "trigger" };
  const messages = form.messages ?? [];
  if (!messages.length) return { key: "agent.rules.no_message", field: "messages" };
  if (messages.length > MAX_MESSAGES)
    return { key: "agent.rules.too_many_messages", field: "messages" };
  const seen = new Set();
  for (const [index, { lang, text }] of messages.entries()) {
    if (!LANGUAGE.test(lang ?? ""))
      return { key: "agent.rules.invalid_language", field: "lang", index };
    if (seen.has(lang)) return { key: "agent.rules.duplicate_language", field: "lang", index };
    seen.add(lang);
    const body = String(text ?? "").trim();
    if (!body) return { key: "agent.rules.empty_message", field: "text", index };
    if (chars(body) > MAX_MESSAGE) return { key: "agent.rules.long_message", field: "text", index };
  }
  return null;
}

/** The conditions of a valid form, only those set (an empty field is no condition). */
export function conditionsFromForm(form) {
  const conditions = {};
  const url = String(form.url ?? "").trim();
  if (url) conditions.url = url;
  const seconds = parseWhole(form.seconds, 0, MAX_SECONDS);
  if (typeof seconds === "number") conditions.seconds = seconds;
  const pages = parseWhole(form.pages, MIN_PAGES, MAX_PAGES);
  if (typeof pages === "number") conditions.pages = pages;
  const devices = DEVICES.filter((device) => (form.devices ?? []).includes(device));
  if (devices.length) conditions.devices = devices;
  if (VISITORS.includes(form.visitor)) conditions.visitor = form.visitor;
  const trigger = String(form.trigger ?? "").trim();
  if (trigger) conditions.trigger = trigger;
  return conditions;
}

/** The `POST`/`PUT /api/invitation-rules` body of a valid form. */
export function ruleBody(form) {
  return {
    name: String(form.name).trim(),
    enabled: Boolean(form.enabled),
    conditions: conditionsFromForm(form),
    messages: Object.fromEntries(
      (form.messages ?? []).map(({ lang, text }) => [lang, String(text).trim()]),
    ),
  };
}

/** A listed rule as a `PUT` body again (the server's read-only fields left out). */
export function bodyOfRule(rule, changes = {}) {
  const conditions = Object.fromEntries(
    Object.entries(rule.conditions ?? {}).filter(([, value]) => value !== null),
  );
  return {
    name: rule.name,
    enabled: rule.enabled,
    conditions,
    messages: { ...rule.messages },
    ...changes,
  };
}

/** `items` as a list in the agent's language: "phones or tablets". */
function orList(t, items) {
  try {
    return new Intl.ListFormat(t.lang, { type: "disjunction" }).format(items);
  } catch {
    return items.join(", ");
  }
}

/**
 * The conditions in words, in the agent's language, joined by " · ", in the order the form
 * shows them; "on every page, right away" without any.
 */
export function conditionsSummary(t, conditions = {}) {
  const c = conditions ?? {};
  const parts = [];
  if (c.url) parts.push(t("agent.rules.sum_url", { url: c.url }));
  if (c.seconds) {
    parts.push(
      c.seconds % 60 === 0
        ? t("agent.rules.sum_minutes", { minutes: c.seconds / 60 })
        : t("agent.rules.sum_seconds", { seconds: c.seconds }),
    );
  }
  if (c.pages) parts.push(t("agent.rules.sum_pages", { pages: c.pages }));
  const devices = DEVICES.filter((device) => (c.devices ?? []).includes(device));
  if (devices.length)
    parts.push(
      orList(
        t,
        devices.map((device) => t(`agent.rules.sum_device_${device}`)),
      ),
    );
  if (VISITORS.includes(c.visitor)) parts.push(t(`agent.rules.sum_visitor_${c.visitor}`));
  if (c.trigger) parts.push(t("agent.rules.sum_trigger", { name: c.trigger }));
  return parts.length ? parts.join(" · ") : t("agent.rules.sum_always");
}

/** A language code's name in the agent's language ("es" → "Spanish"), else the code. */
export function languageName(t, code) {
  try {
    const name = new Intl.DisplayNames([t.lang], { type: "language" }).of(code);
    return name && name !== code ? name[0].toLocaleUpperCase(t.lang) + name.slice(1) : code;
  } catch {
    return code;
  }
}

/** A hint whose `{code}` placeholder is shown as code. */
function withCode(template, code) {
  const [before, after = ""] = template.split("{code}");
  return h("span", {}, before, h("code", { class: "cv-rules-code", text: code }), after);
}

let nextId = 0;
const uid = (name) => `cv-rules-${name}-${++nextId}`;

export class RulesPanel extends AdminPanel {
  #rules = [];
  /** The rule being edited (null: a new one), or undefined when the form is closed. */
  #editing = undefined;
  #confirming = null;
  #returnFocus = null;

  /** @param {ConstructorParameters<typeof AdminPanel>[0]} options */
  constructor(options) {
    super(options, { errorPrefix: "agent.rules.error" });
    this.#build();
  }

  /** The rules as last listed. */
  get rules() {
    return this.#rules;
  }

  /** Load the rules (`GET /api/invitation-rules`) and draw them (`refresh`). */
  async load() {
    this.#rules = (await this.api.get("/api/invitation-rules")).rules ?? [];
    this.#render();
  }

  #build() {
    const t = this.t;
    if (!this.me?.admin) {
      this.root = h("section", { hidden: true });
      this.list = h("ul");
      return;
    }
    this.error = errorLine("rules-error");
    this.status = statusLine("rules-status");
    this.newButton = openButton({
      testid: "rules-new",
      text: t("agent.rules.new"),
      onClick: (event) => this.#openForm(null, event.currentTarget),
    });
    this.form = this.#buildForm();
    this.list = adminList("rules");
    this.root = adminPanel(
      {
        name: "rules",
        className: "cv-rules",
        title: t("agent.rules.title"),
        intro: t("agent.rules.intro"),
        action: this.newButton,
      },
      this.form,
      this.error,
      this.status,
      this.list,
    );
  }

  #field(label, control, hint = null, extraClass = "") {
    control.id ||= uid("field");
    let described = null;
    if (hint) {
      described = h("span", { class: "cv-admin-hint", id: uid("hint") }, hint);
      control.setAttribute("aria-describedby", described.id);
    }
    return h(
      "div",
      { class: `cv-admin-field ${extraClass}`.trim() },
      h("label", { for: control.id, text: label }),
      control,
      described,
    );
  }

  #buildForm() {
    const t = this.t;
    this.formTitle = h("h3", { class: "cv-admin-form-title", tabindex: "-1" });
    this.nameInput = h("input", {
      class: "cv-admin-input",
      "data-testid": "rule-name",
      autocomplete: "off",
      maxlength: MAX_NAME,
      required: true,
    });
    this.urlInput = h("input", {
      class: "cv-admin-input cv-rules-mono",
      "data-testid": "rule-url",
      autocomplete: "off",
      autocapitalize: "none",
      spellcheck: "false",
      maxlength: MAX_URL,
      placeholder: "*/boots/*",
    });
    const number = (testid, min, max) =>
      h("input", {
        class: "cv-admin-input cv-admin-number",
        type: "number",
        inputmode: "numeric",
        min,
        max,
        step: 1,
        "data-testid": testid,
      });
    this.secondsInput = number("rule-seconds", 0, MAX_SECONDS);
    this.pagesInput = number("rule-pages", MIN_PAGES, MAX_PAGES);
    this.deviceChecks = DEVICES.map((device) =>
      h("input", {
        type: "checkbox",
        value: device,
        id: uid(device),
        "data-testid": `rule-device-${device}`,
      }),
    );
    const visitorName = uid("visitor");
    this.visitorRadios = ["", ...VISITORS].map((value) =>
      h("input", {
        type: "radio",
        name: visitorName,
        value,
        id: uid("visitor"),
        "data-testid": `rule-visitor-${value || "any"}`,
      }),
    );
    this.triggerInput = h("input", {
      class: "cv-admin-input cv-rules-mono",
      "data-testid": "rule-trigger",
      autocomplete: "off",
      autocapitalize: "none",
      spellcheck: "false",
      maxlength: 64,
      placeholder: "coupon-failed",
    });
    this.messageRows = h("div", { class: "cv-rules-messages", "data-testid": "rule-messages" });
    this.addMessageButton = h("button", {
      type: "button",
      class: "cv-btn",
      "data-testid": "rule-message-add",
      text: t("agent.rules.add_language"),
      on: { click: () => this.#addMessage() },
    });
    this.enabledCheck = h("input", {
      type: "checkbox",
      id: uid("enabled"),
      "data-testid": "rule-enabled",
    });
    this.formError = errorLine("rule-form-error");
    this.saveButton = submitButton("rule-save", t("agent.rules.save"));
    const check = (input, label) =>
      h("div", { class: "cv-admin-check" }, input, h("label", { for: input.id, text: label }));
    const group = (legend, ...children) =>
      h("fieldset", { class: "cv-rules-group" }, h("legend", { text: legend }), ...children);
    return adminForm(
      {
        className: "cv-rules-form",
        testid: "rule-form",
        label: t("agent.rules.new"),
        onSubmit: () => this.#save(),
        onEscape: () => this.#closeForm(),
      },
      this.formTitle,
      this.#field(t("agent.rules.name"), this.nameInput),
      group(
        t("agent.rules.conditions"),
        h("p", { class: "cv-admin-hint", text: t("agent.rules.conditions_hint") }),
        this.#field(t("agent.rules.url"), this.urlInput, t("agent.rules.url_hint")),
        h(
          "div",
          { class: "cv-admin-pair" },
          this.#field(t("agent.rules.seconds"), this.secondsInput, t("agent.rules.seconds_hint")),
          this.#field(t("agent.rules.pages"), this.pagesInput, t("agent.rules.pages_hint")),
        ),
        h(
          "fieldset",
          { class: "cv-rules-choices", "data-testid": "rule-devices" },
          h("legend", { text: t("agent.rules.devices") }),
          ...this.deviceChecks.map((input) => check(input, t(`agent.rules.device_${input.value}`))),
          h("p", {
            class: "cv-admin-hint cv-rules-choices-hint",
            text: t("agent.rules.devices_hint"),
          }),
        ),
        h(
          "fieldset",
          { class: "cv-rules-choices", "data-testid": "rule-visitor" },
          h("legend", { text: t("agent.rules.visitor") }),
          ...this.visitorRadios.map((input) =>
            check(input, t(`agent.rules.visitor_${input.value || "any"}`)),
          ),
        ),
        this.#field(
          t("agent.rules.trigger"),
          this.triggerInput,
          withCode(t("agent.rules.trigger_hint"), 'covisor.trigger("name")'),
        ),
      ),
      group(
        t("agent.rules.messages"),
        h("p", { class: "cv-admin-hint", text: t("agent.rules.messages_hint") }),
        this.messageRows,
        h("div", { class: "cv-row cv-rules-add" }, this.addMessageButton),
      ),
      check(this.enabledCheck, t("agent.rules.enabled_label")),
      this.formError,
      formActions(this.saveButton, {
        testid: "rule-cancel",
        text: t("agent.rules.cancel"),
        onClick: () => this.#closeForm(),
      }),
    );
  }

  /** One row of the messages: its language, its text (with a count), a remove button. */
  #messageRow({ lang, text }) {
    const t = this.t;
    const langs = LANGUAGES.includes(lang) || !lang ? [...LANGUAGES] : [...LANGUAGES, lang];
    const select = h(
      "select",
      {
        class: "cv-select cv-admin-input cv-rules-lang",
        id: uid("lang"),
        "data-testid": "rule-message-lang",
      },
      langs.map((code) => h("option", { value: code, text: languageName(t, code) })),
    );
    select.value = lang;
    const textarea = h("textarea", {
      class: "cv-admin-input cv-admin-textarea cv-rules-text",
      id: uid("text"),
      rows: 3,
      "data-testid": "rule-message-text",
    });
    textarea.value = text ?? "";
    const count = h("span", { class: "cv-admin-hint", "aria-live": "polite" });
    const updateCount = () => {
      const used = chars(textarea.value.trim());
      count.textContent = t("agent.rules.count", { used, max: MAX_MESSAGE });
      count.classList.toggle("cv-admin-hint--over", used > MAX_MESSAGE);
    };
    textarea.addEventListener("input", updateCount);
    updateCount();
    const row = h(
      "div",
      { class: "cv-rules-message", "data-testid": "rule-message" },
      h(
        "div",
        { class: "cv-rules-message-head" },
        h(
          "div",
          { class: "cv-admin-field cv-admin-field--inline" },
          h("label", { for: select.id, text: t("agent.rules.language") }),
          select,
        ),
        h(
          "button",
          {
            type: "button",
            class: "cv-btn cv-rules-remove",
            "data-testid": "rule-message-remove",
            on: { click: () => this.#removeMessage(row) },
          },
          icon("trash"),
          h("span", { class: "cv-rules-remove-text", text: t("agent.rules.remove_language") }),
        ),
      ),
      h(
        "div",
        { class: "cv-admin-field" },
        h("label", { for: textarea.id, text: t("agent.rules.message") }),
        textarea,
        h("span", { class: "cv-admin-hint-row" }, count),
      ),
    );
    const labelRemove = () =>
      row
        .querySelector(".cv-rules-remove")
        .setAttribute(
          "aria-label",
          t("agent.rules.remove_label", { language: languageName(t, select.value) }),
        );
    select.addEventListener("change", labelRemove);
    labelRemove();
    return row;
  }

  #messageControls() {
    return [...this.messageRows.querySelectorAll(".cv-rules-message")].map((row) => ({
      row,
      select: row.querySelector("select"),
      textarea: row.querySelector("textarea"),
    }));
  }

  #updateMessageButtons() {
    const rows = this.#messageControls();
    for (const { row } of rows) row.querySelector(".cv-rules-remove").disabled = rows.length <= 1;
    this.addMessageButton.disabled =
      rows.length >= MAX_MESSAGES ||
      LANGUAGES.every((lang) => rows.some((r) => r.select.value === lang));
  }

  #addMessage() {
    const used = this.#messageControls().map(({ select }) => select.value);
    const lang = LANGUAGES.find((code) => !used.includes(code)) ?? LANGUAGES[0];
    const row = this.#messageRow({ lang, text: "" });
    this.messageRows.append(row);
    this.#updateMessageButtons();
    row.querySelector("select").focus();
  }

  #removeMessage(row) {
    const rows = this.#messageControls().map((r) => r.row);
    const index = rows.indexOf(row);
    if (rows.length <= 1 || index < 0) return;
    row.remove();
    this.#updateMessageButtons();
    const next = this.#messageControls()[Math.min(index, rows.length - 2)];
    next?.select.focus();
  }

  /** What the form holds now (see `formFromRule`). */
  #readForm() {
    const number = (input) => (input.validity?.badInput ? "?" : input.value);
    return {
      name: this.nameInput.value,
      enabled: this.enabledCheck.checked,
      url: this.urlInput.value,
      seconds: number(this.secondsInput),
      pages: number(this.pagesInput),
      devices: this.deviceChecks.filter((input) => input.checked).map((input) => input.value),
      visitor: this.visitorRadios.find((input) => input.checked)?.value ?? "",
      trigger: this.triggerInput.value,
      messages: this.#messageControls().map(({ select, textarea }) => ({
        lang: select.value,
        text: textarea.value,
      })),
    };
  }

  #fillForm(form) {
    this.nameInput.value = form.name;
    this.enabledCheck.checked = form.enabled;
    this.urlInput.value = form.url;
    this.secondsInput.value = form.seconds;
    this.pagesInput.value = form.pages;
    for (const input of this.deviceChecks) input.checked = form.devices.includes(input.value);
    for (const input of this.visitorRadios) input.checked = input.value === form.visitor;
    this.triggerInput.value = form.trigger;
    const messages = form.messages.length
      ? form.messages
      : [{ lang: LANGUAGES.includes(this.t.lang) ? this.t.lang : "en", text: "" }];
    this.messageRows.replaceChildren(...messages.map((message) => this.#messageRow(message)));
    this.#updateMessageButtons();
  }

  /** Open the form for `rule` (null: a new one); `opener` gets focus back on Cancel. */
  #openForm(rule, opener) {
    const t = this.t;
    this.#clearMessages();
    this.#editing = rule;
    this.#confirming = null;
    this.#returnFocus = opener;
    this.formTitle.textContent = rule
      ? t("agent.rules.edit_title", { name: rule.name })
      : t("agent.rules.new");
    this.form.setAttribute("aria-label", this.formTitle.textContent);
    this.#fillForm(formFromRule(rule));
    this.form.hidden = false;
    this.newButton.setAttribute("aria-expanded", String(!rule));
    this.#render();
    this.nameInput.focus();
  }

  #closeForm(focus = this.#returnFocus) {
    this.form.hidden = true;
    this.#editing = undefined;
    this.newButton.setAttribute("aria-expanded", "false");
    this.#clearMessages();
    this.#render();
    const target = focus?.isConnected ? focus : (this.#findButton(focus) ?? this.newButton);
    target.focus();
  }

  /** After a redraw, the button of the same rule and kind as `old` (a detached button). */
  #findButton(old) {
    const id = old?.closest?.("[data-rule-id]")?.dataset.ruleId;
    return id ? this.#itemControl(id, old.dataset.testid) : null;
  }

  #itemControl(id, testid) {
    return itemControl(this.list, "rule", id, testid);
  }

  async #save() {
    const t = this.t;
    const form = this.#readForm();
    const problem = ruleProblem(form);
    if (problem) {
      this.showError(t(problem.key, { max: MAX_MESSAGE }), this.formError);
      this.#problemField(problem)?.focus();
      return;
    }
    const editing = this.#editing;
    const body = ruleBody(form);
    this.#clearMessages();
    this.saveButton.disabled = true;
    try {
      const saved = editing
        ? await this.api.put(`/api/invitation-rules/${encodeURIComponent(editing.id)}`, body)
        : await this.api.post("/api/invitation-rules", body);
      this.form.hidden = true;
      this.#editing = undefined;
      this.newButton.setAttribute("aria-expanded", "false");
      await this.refresh();
      this.showStatus(
        t(editing ? "agent.rules.updated" : "agent.rules.created", { name: saved.name }),
      );
      (this.#itemControl(saved.id, "rule-edit") ?? this.newButton).focus();
    } catch (error) {
      this.showError(errorText(t, error, "agent.rules.error"), this.formError);
    } finally {
      this.saveButton.disabled = false;
    }
  }

  #problemField({ field, index }) {
    const message = this.#messageControls()[index ?? 0];
    return {
      name: this.nameInput,
      url: this.urlInput,
      seconds: this.secondsInput,
      pages: this.pagesInput,
      devices: this.deviceChecks[0],
      visitor: this.visitorRadios[0],
      trigger: this.triggerInput,
      messages: message?.textarea ?? this.addMessageButton,
      lang: message?.select,
      text: message?.textarea,
    }[field];
  }

  /** Switch a rule on or off: the whole rule is `PUT` with `enabled` flipped. */
  async #toggle(rule, checkbox) {
    this.#clearMessages();
    checkbox.disabled = true;
    try {
      const saved = await this.api.put(
        `/api/invitation-rules/${encodeURIComponent(rule.id)}`,
        bodyOfRule(rule, { enabled: !rule.enabled }),
      );
      this.#rules = this.#rules.map((r) => (r.id === saved.id ? saved : r));
      this.#render();
      this.showStatus(
        this.t(saved.enabled ? "agent.rules.switched_on" : "agent.rules.switched_off", {
          name: saved.name,
        }),
      );
    } catch (error) {
      this.#render();
      this.showError(errorText(this.t, error, "agent.rules.error"));
    }
    this.#itemControl(rule.id, "rule-toggle")?.focus();
  }

  async #delete(rule, button) {
    button.disabled = true;
    try {
      await this.api.delete(`/api/invitation-rules/${encodeURIComponent(rule.id)}`);
      this.#confirming = null;
      if (this.#editing?.id === rule.id) {
        this.form.hidden = true;
        this.#editing = undefined;
        this.newButton.setAttribute("aria-expanded", "false");
      }
      await this.refresh();
      this.showStatus(this.t("agent.rules.deleted", { name: rule.name }));
      (this.list.querySelector('[data-testid="rule-edit"]') ?? this.newButton).focus();
    } catch (error) {
      button.disabled = false;
      this.showError(errorText(this.t, error, "agent.rules.error"));
    }
  }

  #clearMessages() {
    clearLines(this.error, this.formError);
    this.status.textContent = "";
  }

  #render() {
    fillList(
      this.list,
      this.#rules.map((rule) => this.#item(rule)),
      this.t("agent.rules.empty"),
    );
  }

  #item(rule) {
    const t = this.t;
    const confirming = this.#confirming === rule.id;
    const toggle = h("input", {
      type: "checkbox",
      role: "switch",
      id: uid("toggle"),
      checked: rule.enabled,
      "data-testid": "rule-toggle",
      "aria-label": t("agent.rules.toggle_label", { name: rule.name }),
      on: { change: (event) => this.#toggle(rule, event.currentTarget) },
    });
    const languages = Object.keys(rule.messages ?? {});
    return adminItem(
      {
        class: [
          "cv-admin-item cv-rules-item",
          rule.enabled ? "" : "cv-admin-item--off",
          this.#editing?.id === rule.id ? "cv-admin-item--editing" : "",
        ]
          .filter(Boolean)
          .join(" "),
        "data-testid": "rule-item",
        dataset: { ruleId: rule.id, enabled: String(rule.enabled) },
      },
      {
        textClass: "cv-rules-text-block",
        text: [
          h(
            "strong",
            { class: "cv-admin-name" },
            h("span", { "data-testid": "rule-name-text", text: rule.name }),
            rule.enabled
              ? null
              : h("span", {
                  class: "cv-admin-tag cv-admin-tag--off",
                  "data-testid": "rule-off-tag",
                  text: t("agent.rules.off"),
                }),
          ),
          h("span", {
            class: "cv-rules-summary",
            "data-testid": "rule-summary",
            text: conditionsSummary(t, rule.conditions),
          }),
          h(
            "span",
            { class: "cv-rules-langs", "data-testid": "rule-languages" },
            h("span", { class: "cv-rules-langs-label", text: t("agent.rules.languages") }),
            languages.map((code) =>
              h("span", {
                class: "cv-admin-tag",
                lang: code,
                title: code,
                text: languageName(t, code),
              }),
            ),
          ),
        ],
        actions: h(
          "div",
          { class: "cv-admin-actions cv-rules-actions" },
          h(
            "label",
            { class: "cv-rules-switch", for: toggle.id },
            toggle,
            h("span", { text: t("agent.rules.active") }),
          ),
          h("button", {
            type: "button",
            class: "cv-btn",
            "data-testid": "rule-edit",
            "aria-label": t("agent.rules.edit_label", { name: rule.name }),
            text: t("agent.rules.edit"),
            on: { click: (event) => this.#openForm(rule, event.currentTarget) },
          }),
          h("button", {
            type: "button",
            class: "cv-btn",
            "data-testid": "rule-delete",
            "aria-expanded": String(confirming),
            "aria-label": t("agent.rules.delete_label", { name: rule.name }),
            text: t("agent.rules.delete"),
            on: { click: () => this.#askDelete(rule) },
          }),
        ),
      },
      confirming ? this.#deleteConfirm(rule) : null,
    );
  }

  #askDelete(rule) {
    this.#clearMessages();
    this.#confirming = this.#confirming === rule.id ? null : rule.id;
    this.#render();
    this.#itemControl(rule.id, this.#confirming ? "rule-delete-confirm" : "rule-delete")?.focus();
  }

  #deleteConfirm(rule) {
    const t = this.t;
    return confirmStep({
      label: t("agent.rules.delete_label", { name: rule.name }),
      question: t("agent.rules.delete_confirm", { name: rule.name }),
      confirm: {
        testid: "rule-delete-confirm",
        text: t("agent.rules.delete"),
        onClick: (event) => this.#delete(rule, event.currentTarget),
      },
      cancel: { testid: "rule-delete-cancel", text: t("agent.rules.cancel") },
      onCancel: () => {
        this.#confirming = null;
        this.#render();
        this.#itemControl(rule.id, "rule-delete")?.focus();
      },
      containEscape: true,
    });
  }
}
