/**
 * The Saved replies manager of the agent console (PROTOCOL.md "Saved replies"): the agent's
 * personal replies and the team's shared ones, each with its `/shortcut`, a preview of its text
 * and the catalogue item it shows, if any. An agent creates, edits and deletes personal replies;
 * an admin also shared ones. After every change the list is read again and handed to
 * `onChange(replies)`, so the composer's `/` picker (console/reply-picker.js) stays current.
 *
 * The form's checks are pure (`normaliseShortcut`, `replyProblem`), tested in node; the server
 * has the last word (a taken shortcut is `409`).
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
import { h } from "../../shared/dom.js";
import { errorText } from "../../shared/i18n.js";
import { DEFAULT_LIMITS } from "../../shared/protocol.js";

export const MAX_SHORTCUT = 32;
const SHORTCUT = /^[a-z0-9_-]{1,32}$/;

/** A shortcut as the server stores it: without a leading `/`, trimmed, lower-cased. */
export function normaliseShortcut(raw) {
  return String(raw ?? "")
    .trim()
    .replace(/^\/+/, "")
    .toLowerCase();
}

/**
 * What is wrong with a reply, as a locale key, or null: a shortcut of 1–32 of `a-z 0-9 _ -`
 * (after `normaliseShortcut`), a text that is not blank and at most `maxChars` characters
 * (counted as the server counts them: code points).
 */
export function replyProblem({ shortcut, text }, maxChars = DEFAULT_LIMITS.max_message_chars) {
  if (!SHORTCUT.test(normaliseShortcut(shortcut))) return "agent.replies.invalid_shortcut";
  const body = String(text ?? "");
  if (!body.trim()) return "agent.replies.empty_text";
  if ([...body].length > maxChars) return "agent.replies.too_long";
  return null;
}

/** The catalogue item's title for a reply, its id when it has no title, or null. */
export function catalogueTitle(reply, items) {
  if (!reply?.catalogue_id) return null;
  const item = items.find((candidate) => String(candidate.id) === String(reply.catalogue_id));
  return item?.title || String(reply.catalogue_id);
}

let nextId = 0;
const uid = (name) => `cv-replies-${name}-${++nextId}`;

export class RepliesPanel extends AdminPanel {
  #catalogue;
  #onChange;
  #maxChars;
  #replies = [];
  /** The reply being edited (null: a new one), or undefined when the form is closed. */
  #editing = undefined;
  #confirming = null;
  /** Where focus goes back to when the form closes without saving. */
  #returnFocus = null;

  /**
   * @param {object} options `t`, `api` (the agent's API client), `me` as for `AdminPanel`, and:
   * @param {() => Array<{id: string, title?: string}>} [options.catalogue] the catalogue items
   *   a reply may show, read each time the form opens
   * @param {(replies: object[]) => void} [options.onChange] the replies after every change
   * @param {number} [options.maxChars] the server's `max_message_chars`
   */
  constructor({
    t,
    api,
    me,
    catalogue = () => [],
    onChange = () => {},
    maxChars = DEFAULT_LIMITS.max_message_chars,
  }) {
    // Every agent has replies (not only admins); errors show in the panel only.
    super({ t, api, me }, { errorPrefix: "agent.replies.error", adminOnly: false });
    this.#catalogue = catalogue;
    this.#onChange = onChange;
    this.#maxChars = maxChars;
    this.#build();
  }

  /** The replies as last listed. */
  get replies() {
    return this.#replies;
  }

  /** Load the replies (`GET /api/replies`), draw them and tell `onChange` (`refresh`). */
  async load() {
    this.#replies = (await this.api.get("/api/replies")).replies ?? [];
    this.#render();
    this.#onChange(this.#replies);
  }

  #build() {
    const t = this.t;
    this.error = errorLine("replies-error");
    this.status = statusLine("replies-status");
    this.newButton = openButton({
      testid: "replies-new",
      text: t("agent.replies.new"),
      onClick: (event) => this.#openForm(null, event.currentTarget),
    });
    this.form = this.#buildForm();
    this.list = adminList("replies");
    this.root = adminPanel(
      {
        name: "replies",
        title: t("agent.replies.title"),
        intro: t("agent.replies.intro"),
        action: this.newButton,
      },
      this.form,
      this.error,
      this.status,
      this.list,
    );
  }

  #buildForm() {
    const t = this.t;
    const field = (label, control, hint = null) => {
      control.id = uid("field");
      return h(
        "div",
        { class: "cv-admin-field" },
        h("label", { for: control.id, text: label }),
        control,
        hint,
      );
    };
    this.formTitle = h("h3", { class: "cv-admin-form-title", tabindex: "-1" });
    this.shortcutInput = h("input", {
      class: "cv-admin-input",
      "data-testid": "reply-shortcut",
      autocomplete: "off",
      autocapitalize: "none",
      spellcheck: "false",
      maxlength: MAX_SHORTCUT + 1,
      required: true,
    });
    this.textInput = h("textarea", {
      class: "cv-admin-input cv-admin-textarea",
      "data-testid": "reply-text",
      rows: 4,
      required: true,
      on: { input: () => this.#updateCount() },
    });
    this.count = h("span", { class: "cv-admin-hint", "aria-live": "polite" });
    this.catalogueSelect = h("select", {
      class: "cv-select cv-admin-input",
      "data-testid": "reply-catalogue",
    });
    this.sharedCheck = h("input", { type: "checkbox", "data-testid": "reply-shared" });
    this.sharedCheck.id = uid("shared");
    this.sharedRow = h(
      "div",
      { class: "cv-admin-check" },
      this.sharedCheck,
      h("label", { for: this.sharedCheck.id, text: t("agent.replies.shared_label") }),
    );
    this.formError = errorLine("reply-form-error");
    this.saveButton = submitButton("reply-save", t("agent.replies.save"));
    return adminForm(
      {
        testid: "reply-form",
        label: t("agent.replies.new"),
        onSubmit: () => this.#save(),
        onEscape: () => this.#closeForm(),
      },
      this.formTitle,
      field(
        t("agent.replies.shortcut"),
        this.shortcutInput,
        h("span", { class: "cv-admin-hint", text: t("agent.replies.shortcut_hint") }),
      ),
      field(
        t("agent.replies.text"),
        this.textInput,
        h(
          "span",
          { class: "cv-admin-hint-row" },
          h("span", { class: "cv-admin-hint", text: t("agent.replies.text_hint") }),
          this.count,
        ),
      ),
      field(t("agent.replies.catalogue"), this.catalogueSelect),
      this.sharedRow,
      this.formError,
      formActions(this.saveButton, {
        testid: "reply-cancel",
        text: t("agent.replies.cancel"),
        onClick: () => this.#closeForm(),
      }),
    );
  }

  #updateCount() {
    const used = [...this.textInput.value].length;
    this.count.textContent = this.t("agent.replies.count", { used, max: this.#maxChars });
    this.count.classList.toggle("cv-admin-hint--over", used > this.#maxChars);
  }

  /** Open the form for `reply` (null: a new one); `opener` gets focus back on Cancel. */
  #openForm(reply, opener) {
    const t = this.t;
    this.#clearMessages();
    this.#editing = reply;
    this.#confirming = null;
    this.#returnFocus = opener;
    this.formTitle.textContent = reply
      ? t("agent.replies.edit_title", { shortcut: reply.shortcut })
      : t("agent.replies.new");
    this.form.setAttribute("aria-label", this.formTitle.textContent);
    this.shortcutInput.value = reply?.shortcut ?? "";
    this.textInput.value = reply?.text ?? "";
    this.#updateCount();
    const items = this.#catalogue() ?? [];
    const chosen = reply?.catalogue_id ?? "";
    const options = items.map((item) =>
      h("option", { value: String(item.id), text: item.title || String(item.id) }),
    );
    if (chosen && !items.some((item) => String(item.id) === String(chosen)))
      options.unshift(h("option", { value: String(chosen), text: String(chosen) }));
    this.catalogueSelect.replaceChildren(
      h("option", { value: "", text: t("agent.replies.no_catalogue") }),
      ...options,
    );
    this.catalogueSelect.value = String(chosen);
    // `shared` cannot change once saved; only admins make shared replies.
    this.sharedCheck.checked = Boolean(reply?.shared);
    this.sharedCheck.disabled = Boolean(reply) || !this.me?.admin;
    this.sharedRow.hidden = !this.me?.admin && !reply?.shared;
    this.form.hidden = false;
    this.newButton.setAttribute("aria-expanded", String(!reply));
    this.#render();
    this.shortcutInput.focus();
  }

  #closeForm(focus = this.#returnFocus) {
    this.form.hidden = true;
    this.#editing = undefined;
    this.newButton.setAttribute("aria-expanded", "false");
    this.#render();
    const target = focus?.isConnected ? focus : this.#findButton(focus) ?? this.newButton;
    target.focus();
  }

  /** After a redraw, the button of the same reply and kind as `old` (a detached button). */
  #findButton(old) {
    const id = old?.closest?.("[data-reply-id]")?.dataset.replyId;
    if (!id) return null;
    return this.#itemButton(id, old.dataset.testid);
  }

  #itemButton(id, testid) {
    return itemControl(this.list, "reply", id, testid);
  }

  async #save() {
    const t = this.t;
    const fields = { shortcut: this.shortcutInput.value, text: this.textInput.value };
    const problem = replyProblem(fields, this.#maxChars);
    if (problem) {
      this.showError(t(problem, { max: this.#maxChars }), this.formError);
      (problem === "agent.replies.invalid_shortcut" ? this.shortcutInput : this.textInput).focus();
      return;
    }
    const editing = this.#editing;
    const body = {
      shortcut: normaliseShortcut(fields.shortcut),
      text: fields.text,
      shared: editing
        ? Boolean(editing.shared)
        : Boolean(this.me?.admin && this.sharedCheck.checked),
    };
    if (this.catalogueSelect.value) body.catalogue_id = this.catalogueSelect.value;
    this.#clearMessages();
    this.saveButton.disabled = true;
    try {
      const saved = editing
        ? await this.api.put(`/api/replies/${encodeURIComponent(editing.id)}`, body)
        : await this.api.post("/api/replies", body);
      this.form.hidden = true;
      this.#editing = undefined;
      this.newButton.setAttribute("aria-expanded", "false");
      await this.refresh();
      this.showStatus(t(editing ? "agent.replies.updated" : "agent.replies.created", saved));
      (this.#itemButton(saved.id, "reply-edit") ?? this.newButton).focus();
    } catch (error) {
      this.showError(errorText(t, error, "agent.replies.error"), this.formError);
      if (error.code === "conflict") this.shortcutInput.focus();
    } finally {
      this.saveButton.disabled = false;
    }
  }

  async #delete(reply, button) {
    button.disabled = true;
    try {
      await this.api.delete(`/api/replies/${encodeURIComponent(reply.id)}`);
      this.#confirming = null;
      if (this.#editing?.id === reply.id) {
        this.form.hidden = true;
        this.#editing = undefined;
      }
      await this.refresh();
      this.showStatus(this.t("agent.replies.deleted", { shortcut: reply.shortcut }));
      (this.list.querySelector('[data-testid="reply-edit"]') ?? this.newButton).focus();
    } catch (error) {
      button.disabled = false;
      this.showError(errorText(this.t, error, "agent.replies.error"));
    }
  }

  #clearMessages() {
    clearLines(this.error, this.formError);
    this.status.textContent = "";
  }

  #editable(reply) {
    return reply.shared ? Boolean(this.me?.admin) : true;
  }

  #render() {
    const items = this.#catalogue() ?? [];
    fillList(
      this.list,
      this.#replies.map((reply) => this.#item(reply, items)),
      this.t("agent.replies.empty"),
    );
  }

  #item(reply, items) {
    const t = this.t;
    const product = catalogueTitle(reply, items);
    const editable = this.#editable(reply);
    const confirming = this.#confirming === reply.id;
    return adminItem(
      {
        class: `cv-admin-item${this.#editing?.id === reply.id ? " cv-admin-item--editing" : ""}`,
        "data-testid": "reply-item",
        dataset: { replyId: reply.id, shared: String(Boolean(reply.shared)) },
      },
      {
        text: [
          h(
            "strong",
            { class: "cv-admin-name" },
            h("span", { class: "cv-admin-shortcut", text: `/${reply.shortcut}` }),
            reply.shared
              ? h("span", {
                  class: "cv-admin-tag cv-admin-tag--accent",
                  "data-testid": "reply-shared-tag",
                  text: t("agent.replies.shared"),
                })
              : h("span", { class: "cv-admin-tag", text: t("agent.replies.personal") }),
          ),
          h("span", {
            class: "cv-admin-preview",
            "data-testid": "reply-preview",
            text: reply.text,
          }),
          product
            ? h("span", {
                class: "cv-list-sub",
                "data-testid": "reply-catalogue-title",
                text: t("agent.replies.shows", { title: product }),
              })
            : null,
        ],
        actions: editable
          ? h(
              "div",
              { class: "cv-admin-actions" },
              h("button", {
                type: "button",
                class: "cv-btn",
                "data-testid": "reply-edit",
                "aria-label": t("agent.replies.edit_label", { shortcut: reply.shortcut }),
                text: t("agent.replies.edit"),
                on: { click: (event) => this.#openForm(reply, event.currentTarget) },
              }),
              h("button", {
                type: "button",
                class: "cv-btn",
                "data-testid": "reply-delete",
                "aria-expanded": String(confirming),
                "aria-label": t("agent.replies.delete_label", { shortcut: reply.shortcut }),
                text: t("agent.replies.delete"),
                on: { click: () => this.#askDelete(reply) },
              }),
            )
          : null,
      },
      confirming ? this.#deleteConfirm(reply) : null,
    );
  }

  #askDelete(reply) {
    this.#clearMessages();
    this.#confirming = this.#confirming === reply.id ? null : reply.id;
    this.#render();
    this.#itemButton(reply.id, this.#confirming ? "reply-delete-confirm" : "reply-delete")?.focus();
  }

  #deleteConfirm(reply) {
    const t = this.t;
    return confirmStep({
      label: t("agent.replies.delete_label", { shortcut: reply.shortcut }),
      question: t(
        reply.shared ? "agent.replies.delete_shared_confirm" : "agent.replies.delete_confirm",
        { shortcut: reply.shortcut },
      ),
      confirm: {
        testid: "reply-delete-confirm",
        text: t("agent.replies.delete"),
        onClick: (event) => this.#delete(reply, event.currentTarget),
      },
      cancel: { testid: "reply-delete-cancel", text: t("agent.replies.cancel") },
      onCancel: () => {
        this.#confirming = null;
        this.#render();
        this.#itemButton(reply.id, "reply-delete")?.focus();
      },
    });
  }
}
