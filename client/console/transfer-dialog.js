/**
 * The console's transfer dialog: hand the selected conversation to another agent (each shown
 * with their status and load, from `GET /api/agents`) or back to the queue, with an optional
 * note for the next agent (`POST /api/conversations/{id}/transfer`).
 */

import { h } from "../shared/dom.js";
import { errorText } from "../shared/i18n.js";
import { formDialog } from "./form-dialog.js";

export class TransferDialog {
  #t;
  #api;
  #me;
  #conversationId;
  #onNotice;
  #choices;
  #note;
  #error;

  /**
   * @param {object} options
   * @param {Function} options.t translator
   * @param {import("../shared/api.js").Api} options.api the agent's API client
   * @param {{id: string}} options.me `GET /api/me`
   * @param {number} options.maxChars the note's longest length (`max_message_chars`)
   * @param {() => string|undefined} options.conversationId the selected conversation, if any
   * @param {(text: string) => void} options.onNotice shows an error in the console's notice
   */
  constructor({ t, api, me, maxChars, conversationId, onNotice }) {
    this.#t = t;
    this.#api = api;
    this.#me = me;
    this.#conversationId = conversationId;
    this.#onNotice = onNotice;
    this.#choices = h("fieldset", {
      class: "cv-transfer-choices",
      "data-testid": "transfer-choices",
    });
    this.#note = h("textarea", {
      id: "cv-transfer-note",
      class: "cv-textarea",
      rows: 3,
      maxlength: maxChars,
      "data-testid": "transfer-note",
    });
    const { dialog, error } = formDialog({
      t,
      id: "cv-transfer-title",
      testId: "transfer-dialog",
      title: t("agent.transfer_title"),
      fields: [
        this.#choices,
        h("label", { for: "cv-transfer-note", text: t("agent.transfer_note") }),
        this.#note,
      ],
      submit: t("agent.transfer"),
      submitTestId: "transfer-submit",
      onSubmit: () => this.#transfer(),
    });
    this.#error = error;
    /** The `<dialog>`, to add to the console. */
    this.element = dialog;
  }

  /** Ask who is there and open the dialog, the first other agent (else the queue) chosen. */
  async open() {
    const t = this.#t;
    this.#error.textContent = "";
    this.#note.value = "";
    let agents = [];
    try {
      agents = (await this.#api.get("/api/agents")).agents ?? [];
    } catch (error) {
      this.#onNotice(errorText(t, error));
      return;
    }
    const choice = (value, label, detail, checked = false) =>
      h(
        "label",
        { class: "cv-choice" },
        h("input", {
          type: "radio",
          name: "transfer-to",
          value,
          checked,
          "data-testid": "transfer-to",
        }),
        h(
          "span",
          { class: "cv-choice-text" },
          h("strong", { text: label }),
          detail ? h("span", { class: "cv-list-sub", text: detail }) : null,
        ),
      );
    const others = agents.filter((agent) => agent.id !== this.#me.id);
    this.#choices.replaceChildren(
      h("legend", { text: t("agent.transfer_to") }),
      ...others.map((agent, index) =>
        choice(
          agent.id,
          agent.name,
          t("agent.agent_load", {
            status: t(`agent.status.${agent.status}`),
            open: agent.open,
            capacity: agent.capacity,
            count: agent.capacity,
          }),
          index === 0,
        ),
      ),
      choice("", t("agent.back_to_queue"), null, others.length === 0),
    );
    this.element.showModal();
    this.#choices.querySelector("input:checked")?.focus();
  }

  async #transfer() {
    const conversationId = this.#conversationId();
    if (!conversationId) return;
    const picked = this.#choices.querySelector("input:checked")?.value ?? "";
    const note = this.#note.value.trim();
    try {
      await this.#api.post(`/api/conversations/${encodeURIComponent(conversationId)}/transfer`, {
        to: picked || null,
        note: note || null,
      });
      this.element.close();
    } catch (error) {
      this.#error.textContent = errorText(this.#t, error);
    }
  }
}
