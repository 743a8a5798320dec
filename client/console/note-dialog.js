/**
 * The console's note dialog: an internal note in the selected conversation, which agents see
 * and the shopper never does (`POST /api/conversations/{id}/notes`).
 */

import { h } from "../shared/dom.js";
import { errorText } from "../shared/i18n.js";
import { formDialog } from "./form-dialog.js";

export class NoteDialog {
  #t;
  #api;
  #conversationId;
  #text;
  #error;

  /**
   * @param {object} options
   * @param {Function} options.t translator
   * @param {import("../shared/api.js").Api} options.api the agent's API client
   * @param {number} options.maxChars the note's longest length (`max_message_chars`)
   * @param {() => string|undefined} options.conversationId the selected conversation, if any
   */
  constructor({ t, api, maxChars, conversationId }) {
    this.#t = t;
    this.#api = api;
    this.#conversationId = conversationId;
    this.#text = h("textarea", {
      id: "cv-note-text",
      class: "cv-textarea",
      rows: 4,
      required: true,
      maxlength: maxChars,
      "data-testid": "note-text",
    });
    const { dialog, error } = formDialog({
      t,
      id: "cv-note-title",
      testId: "note-dialog",
      title: t("agent.note_title"),
      fields: [
        h("p", { class: "cv-list-sub", text: t("agent.note_hint") }),
        h("label", { for: "cv-note-text", text: t("agent.note_label") }),
        this.#text,
      ],
      submit: t("agent.note_save"),
      submitTestId: "note-submit",
      onSubmit: () => this.#addNote(),
    });
    this.#error = error;
    /** The `<dialog>`, to add to the console. */
    this.element = dialog;
  }

  /** Open the dialog empty, the text focused. */
  open() {
    this.#error.textContent = "";
    this.#text.value = "";
    this.element.showModal();
    this.#text.focus();
  }

  async #addNote() {
    const conversationId = this.#conversationId();
    const text = this.#text.value;
    if (!conversationId || !text.trim()) return;
    try {
      await this.#api.post(`/api/conversations/${encodeURIComponent(conversationId)}/notes`, {
        text,
      });
      this.element.close();
    } catch (error) {
      this.#error.textContent = errorText(this.#t, error);
    }
  }
}
