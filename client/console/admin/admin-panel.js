/**
 * The pieces the agent console's admin panels (Team, Webhooks, Rules, Replies) have in common:
 * the `AdminPanel` class they extend (what they were given, their element, loading with errors
 * shown in the panel), the panel with its heading, intro and "add" button, the list with its
 * empty line and its rows (`adminItem`), the hidden form that Escape closes, the error and status
 * lines, the secret shown only once with its copy button, and the confirm-before-delete step. Each panel passes its own
 * test ids and texts; the classes, roles and focus handling are the same everywhere, so they
 * live here.
 */

import { h } from "../../shared/dom.js";
import { errorText } from "../../shared/i18n.js";

/**
 * What every admin panel is built on: the translator, API client and `GET /api/me` it was given
 * (`t`, `api`, `me`), its root `element`, and `refresh()`, which runs the panel's `load()` (fetch
 * and draw) with its list busy and shows a failure in its error line. A panel builds its DOM in
 * its own constructor, after `super`, setting `root`, `list` and `error` (and `status` when it has
 * a status line).
 */
export class AdminPanel {
  #t;
  #api;
  #me;
  #onNotice;
  #errorPrefix;
  #adminOnly;

  /**
   * @param {object} options
   * @param {Function} options.t translator
   * @param {import("../../shared/api.js").Api} options.api the agent's (or admin's) API client
   * @param {{id: string, admin: boolean}} options.me `GET /api/me`
   * @param {(text: string) => void} [options.onNotice] also told every error the panel shows
   * @param {object} panel
   * @param {string} panel.errorPrefix the locale prefix of a failure `refresh` shows
   *   (`errorText`: `agent.team.error` → `agent.team.error.forbidden`, else `error.…`)
   * @param {boolean} [panel.adminOnly] `refresh` does nothing for an agent who is not an admin
   */
  constructor({ t, api, me, onNotice = () => {} }, { errorPrefix, adminOnly = true }) {
    this.#t = t;
    this.#api = api;
    this.#me = me;
    this.#onNotice = onNotice;
    this.#errorPrefix = errorPrefix;
    this.#adminOnly = adminOnly;
  }

  /** The translator. */
  get t() {
    return this.#t;
  }

  /** The API client. */
  get api() {
    return this.#api;
  }

  /** Who is looking (`GET /api/me`). */
  get me() {
    return this.#me;
  }

  /** The panel's root element, to mount wherever the console shows it. */
  get element() {
    return this.root;
  }

  /** Load what the panel lists and draw it (`load`); errors are shown in the panel. */
  async refresh() {
    if (this.#adminOnly && !this.#me?.admin) return;
    await loadInto(
      this.list,
      () => this.load(),
      (error) => this.showError(errorText(this.#t, error, this.#errorPrefix)),
    );
  }

  /** Fetch what the panel lists and draw it; `refresh` calls it. */
  async load() {
    throw new Error(`${this.constructor.name} does not implement load()`);
  }

  /** Show `text` in `element` (the panel's error line), clearing any status; `notice` it too. */
  showError(text, element = this.error) {
    if (this.status) this.status.textContent = "";
    showLine(element, text);
    this.notice(text);
  }

  /** Tell `onNotice` an error the panel shows (in its error line or in a row); "" takes an
   * earlier one back (the next action is under way, and may well succeed). */
  notice(text) {
    this.#onNotice(text);
  }

  /** Say `text` in the panel's status line, hiding its error line. */
  showStatus(text) {
    this.error.hidden = true;
    this.status.textContent = text;
  }
}

/**
 * The panel `name` (`team`, `webhooks`, …): a `section.cv-admin-panel` (plus `className`) with
 * test id `{name}-panel`, labelled by its `h2#cv-{name}-title` (text `title`) that heads it
 * beside `action`, then an intro hint when `intro` is given, then `body`.
 */
export function adminPanel({ name, className = "", title, intro = null, action }, ...body) {
  const titleId = `cv-${name}-title`;
  return h(
    "section",
    {
      class: `cv-admin-panel ${className}`.trim(),
      "data-testid": `${name}-panel`,
      "aria-labelledby": titleId,
    },
    h(
      "div",
      { class: "cv-admin-head" },
      h("h2", { id: titleId, class: "cv-admin-title", text: title }),
      action,
    ),
    intro === null ? null : h("p", { class: "cv-admin-hint", text: intro }),
    ...body,
  );
}

/** The panel's list: `ul.cv-admin-list` with test id `{name}-list`, labelled by its title. */
export function adminList(name) {
  return h("ul", {
    class: "cv-admin-list",
    "data-testid": `${name}-list`,
    "aria-labelledby": `cv-${name}-title`,
  });
}

/**
 * Run `load` (which fetches and draws) with `list` marked `aria-busy`; a failure is handed to
 * `onError`, never thrown, and the list is no longer busy either way.
 */
export async function loadInto(list, load, onError) {
  list.setAttribute("aria-busy", "true");
  try {
    await load();
  } catch (error) {
    onError(error);
  } finally {
    list.removeAttribute("aria-busy");
  }
}

/** Draw `rows` in `list`, or one `li.cv-list-empty` saying `emptyText` when there are none. */
export function fillList(list, rows, emptyText) {
  list.replaceChildren(
    ...(rows.length ? rows : [h("li", { class: "cv-list-empty", text: emptyText })]),
  );
}

/**
 * A row of a panel's list: `li` with `attributes` (its `cv-admin-item` class, test id, dataset),
 * headed by a `div.cv-admin-item-head` that holds the row's `text` in a `div.cv-list-text` (plus
 * `textClass`) and then `actions` (its buttons, or null); `rest` (a form, a confirm step, …)
 * follows the head.
 */
export function adminItem(attributes, { text, textClass = "", actions = null }, ...rest) {
  return h(
    "li",
    attributes,
    h(
      "div",
      { class: "cv-admin-item-head" },
      h("div", { class: `cv-list-text ${textClass}`.trim() }, ...text),
      actions,
    ),
    ...rest,
  );
}

/**
 * The control with test id `testid` in the list item whose `data-{kind}-id` is `id`
 * (`kind`: `agent`, `webhook`, …), or null.
 */
export function itemControl(list, kind, id, testid) {
  const item = list.querySelector(`[data-${kind}-id="${CSS.escape(id ?? "")}"]`);
  return item?.querySelector(`[data-testid="${testid}"]`) ?? null;
}

/** The primary button that opens the panel's form: `aria-expanded` starts `false`. */
export function openButton({ testid, text, onClick }) {
  return h("button", {
    type: "button",
    class: "cv-btn cv-btn--primary",
    "data-testid": testid,
    "aria-expanded": "false",
    text,
    on: { click: onClick },
  });
}

/** The primary submit button of a panel's form. */
export function submitButton(testid, text) {
  return h("button", {
    type: "submit",
    class: "cv-btn cv-btn--primary",
    "data-testid": testid,
    text,
  });
}

/**
 * A panel's form, hidden and without browser validation: submitting calls `onSubmit` (the
 * page does not reload) and Escape inside it calls `onEscape`.
 */
export function adminForm({ className = "", testid, label, onSubmit, onEscape }, ...children) {
  return h(
    "form",
    {
      class: `cv-admin-form ${className}`.trim(),
      "data-testid": testid,
      "aria-label": label,
      novalidate: true,
      hidden: true,
      on: {
        submit: (event) => {
          event.preventDefault();
          onSubmit();
        },
        keydown: (event) => {
          if (event.key === "Escape") {
            event.preventDefault();
            onEscape();
          }
        },
      },
    },
    ...children,
  );
}

/** The form's last row: `submit`, then a plain Cancel button (`testid`, `text`, `onClick`). */
export function formActions(submit, { testid, text, onClick }) {
  return h(
    "div",
    { class: "cv-row" },
    submit,
    button(testid, text, onClick),
  );
}

/** An error line (`role=alert`), hidden until `showLine` puts text in it. */
export function errorLine(testid) {
  return h("p", {
    class: "cv-form-message cv-admin-error",
    role: "alert",
    "data-testid": testid,
    hidden: true,
  });
}

/** A status line (`role=status`), empty until a panel writes in it. */
export function statusLine(testid) {
  return h("p", { class: "cv-admin-status", role: "status", "data-testid": testid });
}

/** Show `text` in a line (an error line becomes visible). */
export function showLine(element, text) {
  element.textContent = text;
  element.hidden = false;
}

/** Empty and hide every given line. */
export function clearLines(...elements) {
  for (const element of elements) {
    element.hidden = true;
    element.textContent = "";
  }
}

/** What the last action on a row said, in that row: an error line or a status line. */
export function rowNote(testid, { text, error }) {
  return h("p", {
    class: error ? "cv-form-message cv-admin-error" : "cv-admin-status",
    role: error ? "alert" : "status",
    "data-testid": testid,
    text,
  });
}

/**
 * Show a secret once in `box` (a `div.cv-secret`): `title`, the value in a labelled read-only
 * field (`id`, `label`, test id `valueTestid`) that gets focus and is selected, a Copy button
 * that says in a status whether copying worked, a Done button calling `onDone`, and `note`.
 * `texts`: `{copy, copied, copyFailed, done}`; `testids`: `{value, copy, done}`.
 */
export function showSecret(box, { title, label, value, id, note, texts, testids, onDone }) {
  const field = h("input", {
    id,
    class: "cv-admin-input cv-secret-value",
    readonly: true,
    value,
    spellcheck: "false",
    autocomplete: "off",
    "data-testid": testids.value,
  });
  const copied = h("span", { class: "cv-admin-hint", role: "status" });
  box.replaceChildren(
    h("p", { class: "cv-secret-title", text: title }),
    h("div", { class: "cv-admin-field" }, h("label", { for: field.id, text: label }), field),
    h(
      "div",
      { class: "cv-row" },
      button(testids.copy, texts.copy, async () => {
        copied.textContent = (await copyText(field)) ? texts.copied : texts.copyFailed;
      }),
      button(testids.done, texts.done, onDone),
      copied,
    ),
    h("p", { class: "cv-secret-note", text: note }),
  );
  box.hidden = false;
  field.focus();
  field.select();
}

/** Hide the secret and forget it (focus is the caller's to move). */
export function hideSecret(box) {
  box.hidden = true;
  box.replaceChildren();
}

/** Copy the field's text to the clipboard; true when it worked. */
export async function copyText(field) {
  field.focus();
  field.select();
  try {
    await navigator.clipboard.writeText(field.value);
    return true;
  } catch {
    // Without clipboard permission (an http origin, an old browser) the selection is copied.
    return document.execCommand?.("copy") ?? false;
  }
}

/**
 * The step before a destructive action, in a row: a `div.cv-admin-confirm` group (`label`)
 * asking `question`, with a danger button (`confirm`: `{testid, text, onClick}`, given the
 * click event) and Cancel (`cancel`: `{testid, text}`). Cancel and Escape call `onCancel`;
 * with `containEscape` the Escape goes no further (the panel sits where Escape closes more).
 */
export function confirmStep({ label, question, confirm, cancel, onCancel, containEscape = false }) {
  return h(
    "div",
    {
      class: "cv-admin-confirm",
      role: "group",
      "aria-label": label,
      on: {
        keydown: (event) => {
          if (event.key === "Escape") {
            event.preventDefault();
            if (containEscape) event.stopPropagation();
            onCancel();
          }
        },
      },
    },
    h("p", { text: question }),
    h(
      "div",
      { class: "cv-row" },
      button(confirm.testid, confirm.text, confirm.onClick, "cv-btn cv-btn--danger"),
      button(cancel.testid, cancel.text, onCancel),
    ),
  );
}

/** A plain (or `className`) button, not a submit. */
function button(testid, text, onClick, className = "cv-btn") {
  return h("button", {
    type: "button",
    class: className,
    "data-testid": testid,
    text,
    on: { click: onClick },
  });
}
