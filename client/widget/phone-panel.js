/**
 * "On the phone with us?" — two ways to land the caller and the agent in one conversation:
 * type the PIN the agent reads out (redeem it and switch to that conversation), or show a PIN
 * of this conversation for the caller to read to the agent. The host supplies both operations;
 * this panel only does the form, the grouping ("482 913"), the countdown and the messages.
 */

import { h, icon } from "../shared/dom.js";
import { errorText, formatDuration } from "../shared/i18n.js";
import { formatPin, normalisePin } from "../shared/pin.js";
import { pinInput } from "../shared/pin-input.js";
import { DEFAULT_LIMITS } from "../shared/protocol.js";

export class PhonePanel {
  #t;
  #redeem;
  #issue;
  #pinLength;
  #countdown = null;
  /** Whether a PIN of this conversation is on screen (or being asked for). */
  #pinShown = false;

  /**
   * @param {object} options
   * @param {Function} options.t translator
   * @param {(pin: string) => Promise<void>} options.redeem switch to the PIN's conversation
   * @param {() => Promise<{pin: string, expires_at: number}>} options.issue a PIN for this one
   * @param {() => void} options.onClose
   * @param {number} [options.pinLength] digits of a PIN (the server's `pin_length`)
   */
  constructor({ t, redeem, issue, onClose, pinLength = DEFAULT_LIMITS.pin_length }) {
    this.#t = t;
    this.#redeem = redeem;
    this.#issue = issue;
    this.#pinLength = pinLength;
    this.pinInput = pinInput({
      id: "cv-pin-input",
      testid: "pin-input",
      autocomplete: "one-time-code",
      length: pinLength,
    });
    // An old "PIN not valid" goes as soon as the shopper does something else.
    this.pinInput.addEventListener("input", () => this.#clearMessage());
    this.redeemButton = h("button", {
      type: "submit",
      class: "cv-btn cv-btn--primary",
      "data-testid": "pin-redeem",
      text: t("phone.join"),
    });
    this.redeemMessage = h("p", {
      class: "cv-form-message",
      "data-testid": "pin-error",
      role: "alert",
    });
    this.showButton = h("button", {
      type: "button",
      class: "cv-btn",
      "data-testid": "pin-show",
      text: t("phone.show_pin"),
      on: { click: () => this.#showPin() },
    });
    this.pinDisplay = h("p", {
      class: "cv-pin-display",
      "data-testid": "pin-display",
      "aria-live": "polite",
    });
    this.pinExpiry = h("p", { class: "cv-pin-expiry", "data-testid": "pin-expiry" });
    this.connectedLine = h("p", {
      class: "cv-phone-connected",
      "data-testid": "pin-connected",
      role: "status",
      hidden: true,
      text: t("phone.connected"),
    });
    this.element = h(
      "section",
      {
        class: "cv-phone",
        "data-testid": "phone-panel",
        "aria-labelledby": "cv-phone-title",
        hidden: true,
      },
      h(
        "header",
        { class: "cv-phone-header" },
        h(
          "button",
          {
            type: "button",
            class: "cv-btn cv-icon-btn",
            "aria-label": t("phone.back"),
            "data-testid": "phone-close",
            on: { click: onClose },
          },
          icon("back"),
        ),
        h("h3", { id: "cv-phone-title", text: t("phone.title") }),
      ),
      h(
        "form",
        { class: "cv-phone-block", on: { submit: (event) => this.#submit(event) } },
        h("label", { for: "cv-pin-input", text: t("phone.enter_pin") }),
        h("div", { class: "cv-row" }, this.pinInput, this.redeemButton),
        this.redeemMessage,
      ),
      h(
        "div",
        { class: "cv-phone-block" },
        (this.readLine = h("p", { text: t("phone.read_pin") })),
        this.showButton,
        this.pinDisplay,
        this.pinExpiry,
        this.connectedLine,
      ),
    );
  }

  /** Show the panel and put the focus in the PIN field. */
  open() {
    this.element.hidden = false;
    this.#clearMessage();
    this.pinInput.focus();
  }

  close() {
    this.element.hidden = true;
    this.#clearPin();
    this.setConnected(false);
  }

  /**
   * Take the shown PIN away: an agent took the conversation (the PIN is spent). If the shopper
   * was showing one, the agent linked it: "You're connected" takes the place of "Show my PIN".
   */
  forgetPin() {
    const wasShown = this.#pinShown;
    this.#clearPin();
    if (wasShown) this.setConnected(true);
  }

  /** Say the agent is connected to this chat (their PIN was linked) instead of offering one. */
  setConnected(connected) {
    this.connectedLine.hidden = !connected;
    this.readLine.hidden = connected;
    this.showButton.hidden = connected;
  }

  #clearPin() {
    this.#pinShown = false;
    this.#stopCountdown();
    this.pinDisplay.textContent = "";
    this.pinDisplay.removeAttribute("aria-label");
    this.pinExpiry.textContent = "";
  }

  #clearMessage() {
    this.redeemMessage.textContent = "";
  }

  get isOpen() {
    return !this.element.hidden;
  }

  async #submit(event) {
    event.preventDefault();
    const pin = normalisePin(this.pinInput.value);
    if (pin.length < this.#pinLength) {
      this.redeemMessage.textContent = this.#t("phone.pin_too_short");
      return;
    }
    this.redeemButton.disabled = true;
    this.redeemMessage.textContent = "";
    try {
      await this.#redeem(pin);
      this.pinInput.value = "";
    } catch (error) {
      this.redeemMessage.textContent = errorText(this.#t, error, "pin.error");
    } finally {
      this.redeemButton.disabled = false;
    }
  }

  async #showPin() {
    this.showButton.disabled = true;
    this.#clearMessage();
    this.#pinShown = true;
    try {
      const { pin, display, expires_at: expiresAt } = await this.#issue();
      this.pinDisplay.textContent = display || formatPin(pin);
      this.pinDisplay.setAttribute(
        "aria-label",
        this.#t("phone.pin_aria", { digits: normalisePin(pin).split("").join(" ") }),
      );
      this.#startCountdown(expiresAt);
    } catch (error) {
      this.#pinShown = false;
      this.pinDisplay.textContent = "";
      this.pinExpiry.textContent = errorText(this.#t, error, "pin.error");
    } finally {
      this.showButton.disabled = false;
    }
  }

  #startCountdown(expiresAt) {
    this.#stopCountdown();
    const tick = () => {
      const left = (Number(expiresAt) - Date.now()) / 1000;
      if (!(left > 0)) {
        this.pinDisplay.textContent = "";
        this.pinExpiry.textContent = this.#t("phone.pin_expired");
        this.#stopCountdown();
        return;
      }
      this.pinExpiry.textContent = this.#t("phone.pin_valid", { time: formatDuration(left) });
    };
    tick();
    this.#countdown = setInterval(tick, 1000);
  }

  #stopCountdown() {
    if (this.#countdown) clearInterval(this.#countdown);
    this.#countdown = null;
  }
}
