/**
 * The console's phone box. Two directions (PROTOCOL.md "Phone PINs"):
 * the shopper reads out a PIN from the widget and the agent types it here (redeeming it with the
 * agent token makes the agent the conversation's agent); or the agent issues a PIN, for the
 * selected conversation or for a new conversation made for the call, and reads it to the caller.
 */

import { h, icon } from "../shared/dom.js";
import { errorText, formatDuration } from "../shared/i18n.js";
import { formatPin, normalisePin } from "../shared/pin.js";
import { pinInput } from "../shared/pin-input.js";
import { DEFAULT_LIMITS } from "../shared/protocol.js";

export class AgentPhoneBox {
  #t;
  #api;
  #onLinked;
  #onNotice;
  #onAction;
  #pinLength;
  #take;
  #timer = null;
  /** The conversation the PIN on screen lets a caller into, or null. */
  #shownFor = null;

  /**
   * @param {object} options
   * @param {Function} options.t translator
   * @param {import("../shared/api.js").Api} options.api with the agent token
   * @param {(path: string, body: object) => Promise<object|null>} options.take posts what gives
   *   the agent one more conversation, asking first at capacity (capacity.js; null: not taken)
   * @param {(conversationId: string, options?: {keepPane?: boolean}) => void} options.onLinked
   *   open this conversation (`keepPane`: without leaving the phone box on a phone)
   * @param {(text: string) => void} options.onNotice show an error
   * @param {() => void} [options.onAction] the agent did something here (an old error may go)
   * @param {number} [options.pinLength] digits of a PIN (the server's `pin_length`)
   */
  constructor({
    t,
    api,
    take,
    onLinked,
    onNotice,
    onAction = () => {},
    pinLength = DEFAULT_LIMITS.pin_length,
  }) {
    this.#t = t;
    this.#api = api;
    this.#take = take;
    this.#onLinked = onLinked;
    this.#onNotice = onNotice;
    this.#onAction = onAction;
    this.#pinLength = pinLength;
    this.input = pinInput({
      id: "cv-agent-pin",
      testid: "agent-pin-input",
      autocomplete: "off",
      length: pinLength,
    });
    this.input.addEventListener("input", () => this.#onAction());
    this.display = h("p", { class: "cv-pin-display", "data-testid": "agent-pin-display" });
    this.expiry = h("p", { class: "cv-pin-expiry", "data-testid": "agent-pin-expiry" });
    /** The PIN on screen and its expiry, shown next to the button that asked for it. */
    this.card = h(
      "div",
      { class: "cv-pin-card", "aria-live": "polite", hidden: true },
      this.display,
      this.expiry,
    );
    this.sideSlot = h("div", { class: "cv-pin-slot" }, this.card);
    this.elements = [
      h(
        "form",
        { class: "cv-phone-form", on: { submit: (event) => this.#redeem(event) } },
        h("label", { for: "cv-agent-pin", text: t("agent.enter_shopper_pin") }),
        h(
          "div",
          { class: "cv-row" },
          this.input,
          h("button", {
            type: "submit",
            class: "cv-btn cv-btn--primary",
            "data-testid": "agent-pin-redeem",
            text: t("agent.link"),
          }),
        ),
      ),
      h(
        "button",
        {
          type: "button",
          class: "cv-btn cv-wide-btn",
          "data-testid": "agent-phone-new",
          on: { click: () => this.#newCall() },
        },
        icon("phone"),
        t("agent.new_phone_session"),
      ),
      this.sideSlot,
    ];
  }

  /** Issue a PIN for one of the agent's conversations and show it in `place` (by its button). */
  async issueFor(conversationId, place = this.sideSlot) {
    try {
      this.#show(
        await this.#api.post(`/api/conversations/${encodeURIComponent(conversationId)}/pins`),
        conversationId,
        place,
      );
    } catch (error) {
      this.#onNotice(errorText(this.#t, error, "pin.error"));
    }
  }

  /** Forget the PIN on screen (another conversation was selected, or the PIN was used). */
  clear() {
    clearInterval(this.#timer);
    this.#shownFor = null;
    this.display.textContent = "";
    this.expiry.textContent = "";
    this.card.hidden = true;
  }

  /**
   * A caller joined `conversationId` (its `member.joined` event): a PIN is used at most once and
   * a new one revokes the old, so the PIN shown for that conversation is spent and goes away.
   */
  callerJoined(conversationId) {
    if (conversationId === this.#shownFor) this.clear();
  }

  async #redeem(event) {
    event.preventDefault();
    this.#onAction();
    const pin = normalisePin(this.input.value);
    if (pin.length < this.#pinLength) return this.#onNotice(this.#t("phone.pin_too_short"));
    try {
      const linked = await this.#take("/api/pins/redeem", { pin });
      if (!linked) return;
      this.input.value = "";
      this.#onLinked(linked.conversation_id ?? linked.conversation?.id);
    } catch (error) {
      this.#onNotice(errorText(this.#t, error, "pin.error"));
    }
  }

  /** A new conversation for a caller who is not on the site yet, already ours, with a PIN. */
  async #newCall() {
    this.#onAction();
    try {
      const answer = await this.#take("/api/pins", { name: this.#t("agent.phone_caller") });
      if (!answer) return;
      this.#onLinked(answer.conversation_id, { keepPane: true });
      this.#show(answer, answer.conversation_id, this.sideSlot);
    } catch (error) {
      this.#onNotice(errorText(this.#t, error, "pin.error"));
    }
  }

  #show({ pin, display, expires_at: expiresAt }, conversationId, place) {
    this.clear();
    this.#shownFor = conversationId;
    place.append(this.card);
    this.card.hidden = false;
    this.display.textContent = display || formatPin(pin);
    const tick = () => {
      const left = (Number(expiresAt) - Date.now()) / 1000;
      if (left > 0) {
        this.expiry.textContent = this.#t("phone.pin_valid", { time: formatDuration(left) });
      } else {
        this.clear();
        this.card.hidden = false;
        this.expiry.textContent = this.#t("phone.pin_expired");
      }
    };
    tick();
    this.#timer = setInterval(tick, 1000);
    // The whole card, expiry line included, comes into view (on a phone it may be below).
    this.card.scrollIntoView({ block: "nearest" });
  }
}
