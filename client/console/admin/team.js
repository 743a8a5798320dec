/**
 * The Team panel of the agent console, for admins (PROTOCOL.md `/api/team`): every agent with
 * their e-mail, role, capacity and whether they are disabled; inviting an agent (the generated
 * password is shown once, to copy), changing an agent's role or capacity, disabling or enabling
 * them, and resetting a password (after a confirmation; the new one is also shown once).
 *
 * Refusals (the last enabled admin, a taken e-mail, …) are shown in the panel, by error code.
 * The checks of the invitation form are pure (`inviteProblem`, `parseCapacity`), tested in node.
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
  hideSecret,
  itemControl,
  openButton,
  rowNote,
  showSecret,
  submitButton,
} from "./admin-panel.js";
import { h } from "../../shared/dom.js";
import { errorText } from "../../shared/i18n.js";

export const MIN_CAPACITY = 1;
export const MAX_CAPACITY = 100;
export const DEFAULT_CAPACITY = 3;
export const MAX_NAME = 80;
export const MAX_EMAIL = 254;
export const ROLES = Object.freeze(["agent", "admin"]);

/** A capacity typed in a field: a whole number within 1–100, else null. */
export function parseCapacity(raw) {
  const text = String(raw ?? "").trim();
  if (!/^\d+$/.test(text)) return null;
  const value = Number(text);
  return value >= MIN_CAPACITY && value <= MAX_CAPACITY ? value : null;
}

/**
 * What is wrong with an invitation, as a locale key, or null when the server may have it:
 * a name of 1–80 characters, an e-mail address with exactly one `@` and something either side,
 * a capacity within 1–100. (The server decides whether the address is taken.)
 */
export function inviteProblem({ name, email, capacity }) {
  const trimmed = String(name ?? "").trim();
  if (!trimmed || [...trimmed].length > MAX_NAME) return "agent.team.invalid_name";
  const address = String(email ?? "").trim();
  const parts = address.split("@");
  const [local, domain] = parts;
  if (address.length > MAX_EMAIL || parts.length !== 2 || !local || !domain || /\s/.test(address))
    return "agent.team.invalid_email";
  if (parseCapacity(capacity) === null) return "agent.team.invalid_capacity";
  return null;
}

let nextId = 0;
/** A document-unique id for a label's `for`. */
const uid = (name) => `cv-team-${name}-${++nextId}`;

function labelled(label, control, extraClass = "") {
  control.id ||= uid("field");
  return h(
    "div",
    { class: `cv-admin-field ${extraClass}`.trim() },
    h("label", { for: control.id, text: label }),
    control,
  );
}

export class TeamPanel extends AdminPanel {
  #agents = [];
  #confirming = null;
  /** What the last action on a row said, shown in that row: `{id, text, error}` or null. */
  #rowMessage = null;
  /** Whose new password is shown after a reset (null: after an invitation). */
  #secretOf = null;

  /** @param {ConstructorParameters<typeof AdminPanel>[0]} options */
  constructor(options) {
    super(options, { errorPrefix: "agent.team.error" });
    this.#build();
  }

  /** Load the team (`GET /api/team`) and draw it (`refresh`). */
  async load() {
    this.#agents = (await this.api.get("/api/team")).agents ?? [];
    this.#render();
  }

  #build() {
    const t = this.t;
    this.error = errorLine("team-error");
    this.secret = h("div", { class: "cv-secret", "data-testid": "team-secret", hidden: true });
    this.inviteToggle = openButton({
      testid: "team-invite-toggle",
      text: t("agent.team.invite"),
      onClick: () => this.#openInvite(this.inviteForm.hidden),
    });
    this.inviteForm = this.#inviteForm();
    this.list = adminList("team");
    this.root = adminPanel(
      { name: "team", title: t("agent.team.title"), action: this.inviteToggle },
      this.inviteForm,
      this.error,
      this.secret,
      this.list,
    );
  }

  #inviteForm() {
    const t = this.t;
    this.inviteName = h("input", {
      class: "cv-admin-input",
      "data-testid": "team-invite-name",
      autocomplete: "off",
      maxlength: MAX_NAME,
      required: true,
    });
    this.inviteEmail = h("input", {
      class: "cv-admin-input",
      type: "email",
      "data-testid": "team-invite-email",
      autocomplete: "off",
      maxlength: MAX_EMAIL,
      required: true,
    });
    this.inviteRole = this.#roleSelect("agent", "team-invite-role");
    this.inviteCapacity = this.#capacityInput(DEFAULT_CAPACITY, "team-invite-capacity");
    this.inviteError = errorLine("team-invite-error");
    this.inviteSubmit = submitButton("team-invite-submit", t("agent.team.invite_submit"));
    return adminForm(
      {
        testid: "team-invite-form",
        label: t("agent.team.invite"),
        onSubmit: () => this.#invite(),
        onEscape: () => this.#openInvite(false),
      },
      labelled(t("agent.team.name"), this.inviteName),
      labelled(t("agent.team.email"), this.inviteEmail),
      h(
        "div",
        { class: "cv-admin-pair" },
        labelled(t("agent.team.role"), this.inviteRole),
        labelled(t("agent.team.capacity"), this.inviteCapacity),
      ),
      h("p", { class: "cv-admin-hint", text: t("agent.team.capacity_hint") }),
      this.inviteError,
      formActions(this.inviteSubmit, {
        testid: "team-invite-cancel",
        text: t("agent.team.cancel"),
        onClick: () => this.#openInvite(false),
      }),
    );
  }

  #roleSelect(role, testid, label) {
    return h(
      "select",
      { class: "cv-select", "data-testid": testid, "aria-label": label },
      ROLES.map((value) =>
        h("option", { value, selected: value === role, text: this.t(`agent.team.role_${value}`) }),
      ),
    );
  }

  #capacityInput(value, testid, label) {
    return h("input", {
      class: "cv-admin-input cv-admin-number",
      type: "number",
      inputmode: "numeric",
      min: MIN_CAPACITY,
      max: MAX_CAPACITY,
      step: 1,
      required: true,
      value: String(value),
      "data-testid": testid,
      "aria-label": label,
    });
  }

  #openInvite(open) {
    this.inviteForm.hidden = !open;
    this.inviteToggle.setAttribute("aria-expanded", String(open));
    if (open) {
      this.#clearMessages();
      this.inviteName.focus();
    } else {
      this.inviteToggle.focus();
    }
  }

  async #invite() {
    const t = this.t;
    const fields = {
      name: this.inviteName.value,
      email: this.inviteEmail.value,
      capacity: this.inviteCapacity.value,
    };
    const problem = inviteProblem(fields);
    if (problem) {
      this.showError(t(problem), this.inviteError);
      const field = {
        "agent.team.invalid_name": this.inviteName,
        "agent.team.invalid_email": this.inviteEmail,
      }[problem];
      (field ?? this.inviteCapacity).focus();
      return;
    }
    this.#clearMessages();
    this.inviteSubmit.disabled = true;
    try {
      const answer = await this.api.post("/api/team", {
        name: fields.name.trim(),
        email: fields.email.trim(),
        role: this.inviteRole.value,
        capacity: parseCapacity(fields.capacity),
      });
      this.inviteForm.reset();
      this.inviteCapacity.value = String(DEFAULT_CAPACITY);
      this.inviteForm.hidden = true;
      this.inviteToggle.setAttribute("aria-expanded", "false");
      this.#agents = [...this.#agents.filter((a) => a.id !== answer.agent.id), answer.agent];
      this.#render();
      this.#showSecret(answer.agent, answer.password, "agent.team.invited");
      this.#secretOf = null;
    } catch (error) {
      this.showError(errorText(t, error, "agent.team.invite_error"), this.inviteError);
      if (error.code === "conflict") this.inviteEmail.focus();
    } finally {
      this.inviteSubmit.disabled = false;
    }
  }

  /** The generated password, once: a read-only field, selected, with a copy button. */
  #showSecret(agent, password, headingKey) {
    const t = this.t;
    showSecret(this.secret, {
      title: t(headingKey, { name: agent.name, email: agent.email ?? "" }),
      label: t("agent.team.password"),
      value: password,
      id: uid("field"),
      note: t("agent.team.shown_once", { name: agent.name }),
      texts: {
        copy: t("agent.team.copy"),
        copied: t("agent.team.copied"),
        copyFailed: t("agent.team.copy_failed"),
        done: t("agent.team.done"),
      },
      testids: {
        value: "team-secret-password",
        copy: "team-secret-copy",
        done: "team-secret-done",
      },
      onDone: () => this.#hideSecret(),
    });
  }

  /** Hide the password; focus goes back to the row's reset button, or to Invite. */
  #hideSecret() {
    hideSecret(this.secret);
    (itemControl(this.list, "agent", this.#secretOf, "team-reset") ?? this.inviteToggle).focus();
    this.#secretOf = null;
  }

  #clearMessages() {
    clearLines(this.error, this.inviteError);
    this.#rowMessage = null;
    this.list.querySelector("[data-testid=team-row-message]")?.remove();
  }

  #render(focus = null) {
    fillList(
      this.list,
      this.#agents.map((agent) => this.#row(agent)),
      this.t("agent.team.empty"),
    );
    if (focus) itemControl(this.list, "agent", focus.id, focus.testid)?.focus();
  }

  #row(agent) {
    const t = this.t;
    const you = agent.id === this.me.id;
    const role = this.#roleSelect(
      agent.role,
      "team-role",
      t("agent.team.role_of", { name: agent.name }),
    );
    role.addEventListener("change", () => this.#change(agent, { role: role.value }, "team-role"));
    const capacity = this.#capacityInput(
      agent.capacity,
      "team-capacity",
      t("agent.team.capacity_of", { name: agent.name }),
    );
    const saveCapacity = () => {
      const value = parseCapacity(capacity.value);
      if (value === agent.capacity) return;
      if (value === null) {
        this.#rowMessage = { id: agent.id, text: t("agent.team.invalid_capacity"), error: true };
        this.notice(this.#rowMessage.text);
        this.#render({ id: agent.id, testid: "team-capacity" });
        return;
      }
      this.#change(agent, { capacity: value }, "team-capacity");
    };
    capacity.addEventListener("change", saveCapacity);
    capacity.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        saveCapacity();
      }
    });
    const confirming = this.#confirming === agent.id;
    return adminItem(
      {
        class: `cv-admin-item${agent.disabled ? " cv-admin-item--off" : ""}`,
        "data-testid": "team-member",
        dataset: { agentId: agent.id, disabled: String(agent.disabled), role: agent.role },
      },
      {
        text: [
          h(
            "strong",
            { class: "cv-admin-name" },
            agent.name,
            you ? h("span", { class: "cv-admin-tag", text: t("agent.team.you") }) : null,
            agent.role === "admin"
              ? h("span", {
                  class: "cv-admin-tag cv-admin-tag--accent",
                  text: t("agent.team.role_admin"),
                })
              : null,
            agent.disabled
              ? h("span", {
                  class: "cv-admin-tag cv-admin-tag--off",
                  "data-testid": "team-disabled-tag",
                  text: t("agent.team.disabled"),
                })
              : null,
          ),
          h("span", {
            class: "cv-list-sub",
            "data-testid": "team-email",
            text: agent.email ?? t("agent.team.no_email"),
          }),
        ],
      },
      h(
        "div",
        { class: "cv-admin-controls" },
        h(
          "div",
          { class: "cv-admin-field cv-admin-field--inline" },
          h("label", { for: (role.id = uid("role")), text: t("agent.team.role") }),
          role,
        ),
        h(
          "div",
          { class: "cv-admin-field cv-admin-field--inline" },
          h("label", { for: (capacity.id = uid("capacity")), text: t("agent.team.capacity") }),
          capacity,
        ),
        // Disabling oneself would end this very session: another admin does that.
        you ? null : this.#toggleButton(agent),
        h("button", {
          type: "button",
          class: "cv-btn",
          "data-testid": "team-reset",
          "aria-expanded": String(confirming),
          "aria-label": t("agent.team.reset_label", { name: agent.name }),
          text: t("agent.team.reset"),
          on: { click: () => this.#askReset(agent) },
        }),
      ),
      confirming ? this.#resetConfirm(agent) : null,
      this.#rowMessage?.id === agent.id ? rowNote("team-row-message", this.#rowMessage) : null,
    );
  }

  #toggleButton(agent) {
    const t = this.t;
    const label = agent.disabled ? "agent.team.enable_label" : "agent.team.disable_label";
    return h("button", {
      type: "button",
      class: "cv-btn",
      "data-testid": "team-toggle-disabled",
      "aria-label": t(label, { name: agent.name }),
      text: t(agent.disabled ? "agent.team.enable" : "agent.team.disable"),
      on: {
        click: () => this.#change(agent, { disabled: !agent.disabled }, "team-toggle-disabled"),
      },
    });
  }

  #resetConfirm(agent) {
    const t = this.t;
    return confirmStep({
      label: t("agent.team.reset_label", { name: agent.name }),
      question: t("agent.team.reset_confirm", { name: agent.name }),
      confirm: {
        testid: "team-reset-confirm",
        text: t("agent.team.reset_submit"),
        onClick: (event) => this.#resetPassword(agent, event.currentTarget),
      },
      cancel: { testid: "team-reset-cancel", text: t("agent.team.cancel") },
      onCancel: () => {
        this.#confirming = null;
        this.#render({ id: agent.id, testid: "team-reset" });
      },
    });
  }

  #askReset(agent) {
    this.#clearMessages();
    this.#confirming = this.#confirming === agent.id ? null : agent.id;
    this.#render({
      id: agent.id,
      testid: this.#confirming ? "team-reset-confirm" : "team-reset",
    });
  }

  async #resetPassword(agent, button) {
    button.disabled = true;
    try {
      const answer = await this.api.post(`/api/team/${encodeURIComponent(agent.id)}/password`);
      this.#confirming = null;
      this.#render();
      this.#showSecret(agent, answer.password, "agent.team.reset_done");
      this.#secretOf = agent.id;
    } catch (error) {
      this.#confirming = null;
      this.#refused(agent, error, "team-reset");
    }
  }

  /**
   * `PATCH /api/team/{id}` with `changes`. The row is drawn again from what the server says
   * (or, refused, from what it was), with the outcome in it and focus on the same control.
   */
  async #change(agent, changes, testid) {
    this.#clearMessages();
    try {
      const updated = await this.api.patch(`/api/team/${encodeURIComponent(agent.id)}`, changes);
      this.#agents = this.#agents.map((a) => (a.id === updated.id ? updated : a));
      const text = this.t("agent.team.saved", { name: updated.name });
      this.#rowMessage = { id: agent.id, text, error: false };
      this.#render({ id: agent.id, testid });
    } catch (error) {
      this.#refused(agent, error, testid);
    }
  }

  #refused(agent, error, testid) {
    const text = errorText(this.t, error, "agent.team.change_error");
    this.#rowMessage = { id: agent.id, text, error: true };
    this.notice(text);
    this.#render({ id: agent.id, testid });
  }
}
