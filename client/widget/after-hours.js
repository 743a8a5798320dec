/**
 * When nobody answers: the widget's leave-a-message card and "E-mail me this conversation".
 *
 * `AwayCard` says why nobody answers now (`GET /api/availability`: outside business hours,
 * with when the shop opens, or no agent online) and, when the server sends e-mail
 * (`GET /api/config` → `email`), takes an optional address for the answer; without e-mail it
 * promises only the answer here, on the shopper's next visit. The shopper writes the message in
 * the usual composer, which opens the conversation with `offline: true` (PROTOCOL.md "Leave a
 * message"). Once it is left, the card says how the answer will come. `MailCopy` sends the shopper a copy of a closed conversation
 * (`POST …/transcript/email`). DOM only; the widget does the requests.
 */

import { h } from "../shared/dom.js";
import { isEmail } from "./visitor.js";

export class AwayCard {
  #t;
  #mail;
  #shown = false;

  /** @param {{t: Function, mail: boolean}} options `mail`: the server sends e-mail */
  constructor({ t, mail }) {
    this.#t = t;
    this.#mail = mail;
    this.reason = h("p", { class: "cv-away-reason", "data-testid": "away-reason" });
    this.next = h("p", { class: "cv-away-next", "data-testid": "away-next", hidden: true });
    this.input = h("input", {
      id: "cv-away-email",
      class: "cv-field-input",
      type: "email",
      name: "email",
      autocomplete: "email",
      inputmode: "email",
      maxlength: "254",
      "aria-describedby": "cv-away-email-note cv-away-email-error",
      "data-testid": "away-email",
      on: { input: () => this.#clearError() },
    });
    this.error = h("p", {
      id: "cv-away-email-error",
      class: "cv-field-error",
      "data-testid": "away-email-error",
      role: "alert",
      hidden: true,
    });
    this.form = h(
      "div",
      { class: "cv-field" },
      h("label", { for: "cv-away-email", text: t("widget.away.email") }),
      this.input,
      h("p", {
        id: "cv-away-email-note",
        class: "cv-field-note",
        text: t("widget.away.email_note"),
      }),
      this.error,
    );
    this.prompt = h("p", {
      class: "cv-away-prompt",
      "data-testid": "away-prompt",
      text: t(mail ? "widget.away.prompt" : "widget.away.prompt_here"),
    });
    this.left = h("p", { class: "cv-away-left", "data-testid": "away-left", hidden: true });
    this.element = h(
      "div",
      { class: "cv-away", "data-testid": "away-card", role: "status", hidden: true },
      this.reason,
      this.next,
      this.prompt,
      this.form,
      this.left,
    );
  }

  /** Whether the shop is away, so that a new conversation is a left message. */
  get active() {
    return this.#shown;
  }

  /** Show why nobody answers: `{reason, next_open}` of `GET /api/availability`. */
  show(availability, email = "") {
    const t = this.#t;
    this.#shown = true;
    const closed = availability.reason === "closed_hours";
    this.reason.textContent = t(closed ? "widget.away.closed" : "widget.away.no_agent");
    const next = Number(availability.next_open);
    this.next.hidden = !(closed && Number.isFinite(next));
    if (!this.next.hidden) {
      const when = new Intl.DateTimeFormat(t.lang, {
        weekday: "long",
        hour: "2-digit",
        minute: "2-digit",
      }).format(new Date(next));
      this.next.textContent = t("widget.away.next_open", { when });
    }
    if (email && !this.input.value) this.input.value = email;
    this.prompt.hidden = false;
    this.form.hidden = !this.#mail;
    this.left.hidden = true;
    this.element.hidden = false;
  }

  hide() {
    this.#shown = false;
    this.element.hidden = true;
  }

  /** The e-mail to answer to: "" when none was given (or the server sends no e-mail), null
   * (and the error shown) if invalid. */
  email() {
    const value = this.input.value.trim();
    if (!value || !this.#mail) return "";
    if (isEmail(value)) return value;
    this.error.textContent = this.#t("widget.prechat.email_invalid");
    this.error.hidden = false;
    this.input.setAttribute("aria-invalid", "true");
    this.input.focus();
    return null;
  }

  /** The message is left: say how the answer will come. */
  done(email) {
    const t = this.#t;
    this.element.hidden = false;
    this.reason.textContent = t("widget.away.left_title");
    this.next.hidden = true;
    this.prompt.hidden = true;
    this.form.hidden = true;
    this.left.textContent = email
      ? t("widget.away.left_email", { email })
      : t("widget.away.left_here");
    this.left.hidden = false;
    this.#shown = false;
  }

  #clearError() {
    this.error.hidden = true;
    this.input.removeAttribute("aria-invalid");
  }
}

export class MailCopy {
  #t;
  #send;

  /** @param {{t: Function, send: (email: string) => Promise<void>}} options */
  constructor({ t, send }) {
    this.#t = t;
    this.#send = send;
    this.toggle = h("button", {
      type: "button",
      class: "cv-btn cv-link-btn",
      "data-testid": "mail-copy",
      "aria-expanded": "false",
      text: t("widget.mail_copy.action"),
      on: { click: () => this.#open() },
    });
    this.input = h("input", {
      id: "cv-mail-copy",
      class: "cv-field-input",
      type: "email",
      autocomplete: "email",
      inputmode: "email",
      maxlength: "254",
      required: true,
      "data-testid": "mail-copy-email",
    });
    this.status = h("p", { class: "cv-field-note", "data-testid": "mail-copy-status", role: "status" });
    this.form = h(
      "form",
      { class: "cv-mail-copy-form", hidden: true, novalidate: true, on: { submit: (e) => this.#submit(e) } },
      h("label", { for: "cv-mail-copy", text: t("widget.mail_copy.email") }),
      h(
        "div",
        { class: "cv-mail-copy-row" },
        this.input,
        h("button", {
          type: "submit",
          class: "cv-btn cv-btn--primary",
          "data-testid": "mail-copy-send",
          text: t("widget.mail_copy.send"),
        }),
      ),
    );
    this.element = h(
      "div",
      { class: "cv-mail-copy", "data-testid": "mail-copy-box", hidden: true },
      this.toggle,
      this.form,
      this.status,
    );
  }

  /** Shown under a closed conversation when the server sends e-mail; `email` prefills it. */
  render(visible, email = "") {
    this.element.hidden = !visible;
    if (!visible) {
      this.form.hidden = true;
      this.toggle.hidden = false;
      this.toggle.setAttribute("aria-expanded", "false");
      this.status.textContent = "";
    }
    if (email && !this.input.value) this.input.value = email;
  }

  #open() {
    this.form.hidden = false;
    this.toggle.hidden = true;
    this.toggle.setAttribute("aria-expanded", "true");
    this.input.focus();
  }

  async #submit(event) {
    event.preventDefault();
    const t = this.#t;
    const email = this.input.value.trim();
    if (!isEmail(email)) {
      this.status.textContent = t("widget.prechat.email_invalid");
      this.input.setAttribute("aria-invalid", "true");
      return;
    }
    this.input.removeAttribute("aria-invalid");
    try {
      await this.#send(email);
      this.form.hidden = true;
      this.status.textContent = t("widget.mail_copy.sent", { email });
    } catch (error) {
      this.status.textContent =
        error?.code === "rate_limited" ? t("widget.mail_copy.limited") : t("widget.mail_copy.failed");
    }
  }
}
