/**
 * The shop's settings panel (admins): routing, a new agent's capacity, the pre-chat questions,
 * business hours and their time zone, the leave-a-message switch and the invitation cooldown,
 * read with `GET /api/settings` and saved whole with `PUT /api/settings` (in force at once, no
 * restart: docs/PROTOCOL.md, *Settings*). Every field has its label and hint; a refused save
 * names the field (marked `aria-invalid` and focused) in the error line; a saved one says so in
 * the status line. Below the form, what the shop's translation engine offers (`GET
 * /api/translation`: its language pairs, or that it is off or cannot be reached), which the
 * operator sets, not the form. Built on admin-panel.js; the form is always shown.
 */

import { h } from "../../shared/dom.js";
import { errorText, languageName } from "../../shared/i18n.js";
import {
  AdminPanel,
  adminPanel,
  clearLines,
  errorLine,
  showLine,
  statusLine,
  submitButton,
} from "./admin-panel.js";

const FIELDS = [
  "routing",
  "capacity",
  "prechat",
  "timezone",
  "business_hours",
  "leave_message_without_agents",
  "invitation_cooldown",
];

/** The IANA zones the browser knows, for the time zone's suggestions. */
function zones() {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return [];
  }
}

export class SettingsPanel extends AdminPanel {
  /** @type {Record<string, HTMLInputElement|HTMLSelectElement>} */
  #inputs = {};

  /**
   * @param {object} options
   * @param {Function} options.t translator
   * @param {import("../../shared/api.js").Api} options.api the admin's API client
   * @param {{id: string, admin: boolean}} options.me `GET /api/me`
   * @param {(text: string) => void} [options.onNotice] also told every error the panel shows
   */
  constructor(options) {
    super(options, { errorPrefix: "agent.settings.error" });
    const t = this.t;
    const field = (name, control, hint = null) => {
      control.id = `cv-settings-${name}`;
      control.dataset.testid = `settings-${name}`;
      const hintId = `${control.id}-hint`;
      if (hint) control.setAttribute("aria-describedby", hintId);
      this.#inputs[name] = control;
      return h(
        "div",
        { class: "cv-admin-field" },
        h("label", { for: control.id, text: t(`agent.settings.${name}`) }),
        control,
        hint ? h("p", { class: "cv-admin-hint", id: hintId, text: hint }) : null,
      );
    };
    const select = (name, values) =>
      h(
        "select",
        { class: "cv-admin-input" },
        values.map((value) => h("option", { value, text: t(`agent.settings.${name}_${value}`) })),
      );
    const zoneList = h(
      "datalist",
      { id: "cv-settings-zones" },
      zones().map((zone) => h("option", { value: zone })),
    );
    const leave = h("input", { type: "checkbox" });
    leave.id = "cv-settings-leave_message_without_agents";
    leave.dataset.testid = "settings-leave_message_without_agents";
    this.#inputs.leave_message_without_agents = leave;
    this.error = errorLine("settings-error");
    this.status = statusLine("settings-status");
    this.list = h(
      "form",
      {
        class: "cv-admin-form cv-settings-form",
        "data-testid": "settings-form",
        "aria-labelledby": "cv-settings-title",
        novalidate: true,
        on: {
          submit: (event) => {
            event.preventDefault();
            this.save();
          },
        },
      },
      field("routing", select("routing", ["manual", "auto"]), t("agent.settings.routing_hint")),
      field(
        "capacity",
        h("input", { type: "number", class: "cv-admin-input", min: "1", max: "100", step: "1" }),
        t("agent.settings.capacity_hint"),
      ),
      field("prechat", select("prechat", ["off", "name", "name_email"])),
      field(
        "timezone",
        h("input", {
          type: "text",
          class: "cv-admin-input",
          list: "cv-settings-zones",
          autocomplete: "off",
          spellcheck: "false",
        }),
        t("agent.settings.timezone_hint"),
      ),
      zoneList,
      field(
        "business_hours",
        h("input", {
          type: "text",
          class: "cv-admin-input",
          autocomplete: "off",
          spellcheck: "false",
          placeholder: "mon-fri 09:00-18:00; sat 10:00-14:00",
        }),
        t("agent.settings.business_hours_hint"),
      ),
      h(
        "label",
        { class: "cv-admin-check", for: leave.id },
        leave,
        t("agent.settings.leave_message_without_agents"),
      ),
      field(
        "invitation_cooldown",
        h("input", { type: "number", class: "cv-admin-input", min: "0", max: "525600", step: "1" }),
        t("agent.settings.invitation_cooldown_hint"),
      ),
      this.error,
      this.status,
      h("div", { class: "cv-row" }, submitButton("settings-save", t("agent.settings.save"))),
    );
    this.translation = h("div", { class: "cv-settings-translation", "aria-live": "polite" });
    this.root = adminPanel(
      {
        name: "settings",
        title: t("agent.settings.title"),
        intro: t("agent.settings.intro"),
        action: null,
      },
      this.list,
      h(
        "section",
        { "data-testid": "settings-translation", "aria-labelledby": "cv-settings-translation" },
        h("h3", { id: "cv-settings-translation", text: t("agent.translation.title") }),
        this.translation,
      ),
    );
  }

  async load() {
    const [settings, offer] = await Promise.all([
      this.api.get("/api/settings"),
      this.api.get("/api/translation").catch(() => null),
    ]);
    this.#fill(settings);
    this.#showTranslation(offer);
  }

  /** What the engine offers, as `GET /api/translation` says (null: it could not be asked). */
  #showTranslation(offer) {
    const t = this.t;
    const name = (code) => languageName(t.lang, code);
    if (!offer?.enabled) {
      this.translation.replaceChildren(h("p", { text: t("agent.translation.off") }));
    } else if (!offer.available) {
      this.translation.replaceChildren(h("p", { text: t("agent.translation.unavailable") }));
    } else {
      this.translation.replaceChildren(
        h("p", { text: t("agent.translation.engine", { engine: offer.api }) }),
        h(
          "ul",
          { class: "cv-settings-pairs", "data-testid": "settings-translation-pairs" },
          offer.pairs.map((p) => h("li", { text: `${name(p.source)} → ${name(p.target)}` })),
        ),
      );
    }
  }

  /** Put `settings` (as `GET /api/settings` answers them) in the fields. */
  #fill(settings) {
    const inputs = this.#inputs;
    for (const name of FIELDS) inputs[name].removeAttribute("aria-invalid");
    inputs.routing.value = settings.routing;
    inputs.capacity.value = String(settings.capacity);
    inputs.prechat.value = settings.prechat;
    inputs.timezone.value = settings.timezone;
    inputs.business_hours.value = settings.business_hours;
    inputs.leave_message_without_agents.checked = settings.leave_message_without_agents;
    inputs.invitation_cooldown.value = String(Math.round(settings.invitation_cooldown / 60));
  }

  /** The fields as `PUT /api/settings` takes them (a number field left empty sends null). */
  #values() {
    const inputs = this.#inputs;
    const number = (input) => (input.value.trim() === "" ? null : Number(input.value));
    const minutes = number(inputs.invitation_cooldown);
    return {
      routing: inputs.routing.value,
      capacity: number(inputs.capacity),
      prechat: inputs.prechat.value,
      timezone: inputs.timezone.value.trim(),
      business_hours: inputs.business_hours.value.trim(),
      leave_message_without_agents: inputs.leave_message_without_agents.checked,
      invitation_cooldown: minutes === null ? null : minutes * 60,
    };
  }

  /** Save every field; say it was saved, or which field the server refused and why. */
  async save() {
    const t = this.t;
    clearLines(this.error, this.status);
    this.notice("");
    for (const name of FIELDS) this.#inputs[name].removeAttribute("aria-invalid");
    this.list.setAttribute("aria-busy", "true");
    try {
      this.#fill(await this.api.put("/api/settings", this.#values()));
      this.status.textContent = t("agent.settings.saved");
    } catch (error) {
      const name = FIELDS.find((field) => String(error?.message ?? "").startsWith(`${field}:`));
      if (error?.code === "bad_request" && name) {
        const input = this.#inputs[name];
        input.setAttribute("aria-invalid", "true");
        showLine(this.error, t("agent.settings.invalid", { field: t(`agent.settings.${name}`) }));
        this.notice(this.error.textContent);
        input.focus();
      } else {
        this.showError(errorText(t, error, "agent.settings.error"));
      }
    } finally {
      this.list.removeAttribute("aria-busy");
    }
  }
}
