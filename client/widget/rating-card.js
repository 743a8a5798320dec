/**
 * The widget's rating card once a conversation is closed: 1–5 stars (radio buttons in a
 * fieldset, so arrow keys and screen readers treat them as one choice), an optional comment and
 * Send; then a thank-you. A conversation rated already (here, in another tab, or before a reload:
 * the state's `rating`) shows the thank-you only.
 *
 * `send({score, comment?})` is the host's `POST /api/conversations/{id}/rating`; it resolves
 * when the rating is stored (the host feeds the answer's `conversation.rated` event to the
 * session) and rejects with an `ApiError`; `conflict` means it was rated meanwhile.
 */

import { h } from "../shared/dom.js";
import { errorText } from "../shared/i18n.js";

export const RATING_SCORES = Object.freeze([1, 2, 3, 4, 5]);
const MAX_COMMENT = 1000;

export class RatingCard {
  #t;
  #send;
  #stars = [];
  #sending = false;

  /**
   * @param {object} options
   * @param {Function} options.t translator
   * @param {(rating: {score: number, comment?: string}) => Promise<void>} options.send
   */
  constructor({ t, send }) {
    this.#t = t;
    this.#send = send;
    const stars = RATING_SCORES.map((score) => {
      const id = `cv-rating-${score}`;
      const input = h("input", {
        id,
        type: "radio",
        name: "cv-rating",
        value: String(score),
        class: "cv-visually-hidden",
        "data-testid": `rating-star-${score}`,
        on: { change: () => this.#paint() },
      });
      const label = h(
        "label",
        { for: id, class: "cv-star", title: t("widget.rating.score", { score }) },
        h("span", { "aria-hidden": "true", text: "★" }),
        h("span", { class: "cv-visually-hidden", text: t("widget.rating.score", { score }) }),
      );
      this.#stars.push({ input, label, score });
      return [input, label];
    });
    this.comment = h("textarea", {
      id: "cv-rating-comment",
      class: "cv-field-input cv-rating-comment",
      rows: "2",
      maxlength: String(MAX_COMMENT),
      "data-testid": "rating-comment",
    });
    this.error = h("p", {
      class: "cv-field-error",
      "data-testid": "rating-error",
      role: "alert",
      hidden: true,
    });
    this.sendButton = h("button", {
      type: "submit",
      class: "cv-btn cv-btn--primary",
      "data-testid": "rating-send",
      text: t("widget.rating.send"),
    });
    this.form = h(
      "form",
      {
        class: "cv-rating-form",
        novalidate: true,
        on: {
          submit: (event) => {
            event.preventDefault();
            this.#submit();
          },
        },
      },
      h(
        "fieldset",
        { class: "cv-stars" },
        h("legend", { class: "cv-card-title", text: t("widget.rating.title") }),
        h("div", { class: "cv-star-row" }, stars.flat()),
      ),
      h(
        "div",
        { class: "cv-field" },
        h("label", { for: "cv-rating-comment", text: t("widget.rating.comment") }),
        this.comment,
      ),
      this.error,
      h("div", { class: "cv-card-actions" }, this.sendButton),
    );
    this.given = h("p", { class: "cv-rating-given", "data-testid": "rating-given", hidden: true });
    this.thanks = h("p", {
      class: "cv-rating-thanks",
      "data-testid": "rating-thanks",
      role: "status",
      hidden: true,
    });
    this.element = h(
      "div",
      { class: "cv-card cv-rating", "data-testid": "rating-card", hidden: true },
      this.form,
      this.given,
      this.thanks,
    );
  }

  /**
   * Show the card for a conversation in `status` with `rating` (null: not rated yet); hidden
   * unless closed. The form keeps what the shopper chose while it stays on screen.
   */
  render(status, rating) {
    this.element.hidden = status !== "closed";
    if (this.element.hidden) return;
    const rated = Boolean(rating);
    this.form.hidden = rated;
    this.thanks.hidden = !rated;
    this.element.dataset.rated = String(rated);
    if (rated) this.thanks.textContent = this.#t("widget.rating.thanks");
    // The stars given, when known (a rating sent from here before its event may not be).
    const score = Number(rating?.score);
    this.given.hidden = !(rated && score >= 1 && score <= 5);
    if (!this.given.hidden) {
      this.given.textContent = "★".repeat(score) + "☆".repeat(5 - score);
      this.given.setAttribute("aria-label", this.#t("widget.rating.score", { score }));
      this.given.setAttribute("role", "img");
    }
  }

  /** Back to an empty form (a new conversation). */
  reset() {
    for (const star of this.#stars) star.input.checked = false;
    this.comment.value = "";
    this.#hideError();
    this.#paint();
  }

  get #score() {
    return this.#stars.find((star) => star.input.checked)?.score ?? 0;
  }

  #paint() {
    const score = this.#score;
    for (const star of this.#stars) star.label.toggleAttribute("data-on", star.score <= score);
    if (score) this.#hideError();
  }

  async #submit() {
    if (this.#sending) return;
    const score = this.#score;
    if (!score) {
      this.#showError(this.#t("widget.rating.required"));
      this.#stars[0].input.focus();
      return;
    }
    const comment = this.comment.value.trim();
    this.#sending = true;
    this.sendButton.disabled = true;
    this.sendButton.setAttribute("aria-busy", "true");
    try {
      await this.#send({ score, ...(comment ? { comment } : {}) });
      this.#hideError();
    } catch (error) {
      if (error?.code === "conflict") this.#hideError();
      else this.#showError(errorText(this.#t, error));
    } finally {
      this.#sending = false;
      this.sendButton.disabled = false;
      this.sendButton.removeAttribute("aria-busy");
    }
  }

  #showError(text) {
    this.error.textContent = text;
    this.error.hidden = false;
  }

  #hideError() {
    this.error.hidden = true;
    this.error.textContent = "";
  }
}
