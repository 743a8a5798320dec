/**
 * An invitation to chat, shown above the launcher: who invites (the agent's name, or the shop's
 * team), the message, "Chat now" and "No thanks". Announced politely to screen readers; the
 * buttons are real buttons; Escape is "No thanks".
 */

import { h } from "../shared/dom.js";

export class InvitationCard {
  #t;
  #current = null;
  #answered = new Set();

  /**
   * @param {object} options
   * @param {Function} options.t translator
   * @param {string} [options.team] the shop's team name (the widget's `data-team`)
   * @param {(invitation: object) => void} options.onAccept
   * @param {(invitation: object) => void} options.onDecline
   */
  constructor({ t, team = "", onAccept, onDecline }) {
    this.#t = t;
    this.team = team;
    this.from = h("strong", { class: "cv-invite-from", "data-testid": "invitation-from" });
    this.message = h("p", { class: "cv-invite-message", "data-testid": "invitation-message" });
    this.accept = h("button", {
      type: "button",
      class: "cv-btn cv-btn--primary",
      "data-testid": "invitation-accept",
      text: t("widget.invitation.accept"),
      on: { click: () => this.#answer(onAccept) },
    });
    this.decline = h("button", {
      type: "button",
      class: "cv-btn",
      "data-testid": "invitation-decline",
      text: t("widget.invitation.decline"),
      on: { click: () => this.#answer(onDecline) },
    });
    this.element = h(
      "aside",
      {
        class: "cv-invite",
        "data-testid": "invitation",
        "aria-live": "polite",
        "aria-label": t("widget.invitation.label"),
        hidden: true,
        on: {
          keydown: (event) => {
            if (event.key === "Escape") this.#answer(onDecline);
          },
        },
      },
      this.from,
      this.message,
      h("div", { class: "cv-invite-actions" }, this.accept, this.decline),
    );
  }

  /** Show `invitation` unless it was shown and answered already (a push and an ack). */
  show(invitation) {
    if (!invitation?.id || this.#answered.has(invitation.id)) return false;
    if (this.#current?.id === invitation.id) return false;
    this.#current = invitation;
    const name = invitation.agent?.name || this.team || this.#t("widget.title");
    this.from.textContent = this.#t("widget.invitation.from", { name });
    this.message.textContent = invitation.message;
    this.element.hidden = false;
    return true;
  }

  hide() {
    this.element.hidden = true;
    this.#current = null;
  }

  get shown() {
    return this.#current;
  }

  #answer(callback) {
    const invitation = this.#current;
    if (!invitation) return;
    this.#answered.add(invitation.id);
    this.hide();
    callback(invitation);
  }
}
