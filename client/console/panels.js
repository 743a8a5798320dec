/**
 * The console's settings panels, each in a dialog opened by a button under the conversation
 * lists: saved replies (every agent), and for admins the team, webhooks, reports, the catalogue
 * feed, the shop's settings and invitation rules. The rules panel (console/admin/rules.js) is loaded, made and added
 * to the console on its button's first click.
 */

import { h } from "../shared/dom.js";
import { errorText } from "../shared/i18n.js";
import { FeedPanel } from "./admin/feed.js";
import { ReportsPanel } from "./admin/reports.js";
import { SettingsPanel } from "./admin/settings.js";
import { RepliesPanel } from "./admin/saved-replies.js";
import { TeamPanel } from "./admin/team.js";
import { WebhooksPanel } from "./admin/webhooks.js";

export class SettingsPanels {
  #t;
  #onNotice;
  #rules = null;

  /**
   * @param {object} options
   * @param {Function} options.t translator
   * @param {import("../shared/api.js").Api} options.api the agent's API client
   * @param {{id: string, name: string, admin: boolean}} options.me `GET /api/me`
   * @param {number} options.maxChars a saved reply's longest text (`max_message_chars`)
   * @param {() => object[]} options.catalogue the catalogue's items (for a reply's product)
   * @param {(replies: object[]) => void} options.onReplies the saved replies changed
   * @param {(text: string) => void} options.onNotice shows an error in the console's notice
   * @param {(dialog: HTMLDialogElement) => void} options.mount adds a dialog made later
   */
  constructor({ t, api, me, maxChars, catalogue, onReplies, onNotice, mount }) {
    this.#t = t;
    this.#onNotice = onNotice;
    const admin = Boolean(me.admin);
    const replies = new RepliesPanel({ t, api, me, catalogue, onChange: onReplies, maxChars });
    const team = admin ? new TeamPanel({ t, api, me, onNotice }) : null;
    const webhooks = admin ? new WebhooksPanel({ t, api, me, onNotice }) : null;
    const reports = admin ? new ReportsPanel({ t, api, me }) : null;
    const feed = admin ? new FeedPanel({ t, api, me, onNotice }) : null;
    const settings = admin ? new SettingsPanel({ t, api, me, onNotice }) : null;
    const opened = [
      ["replies", "agent.replies.title", replies],
      ["team", "agent.team.title", team],
      ["webhooks", "agent.webhooks.title", webhooks],
      ["reports", "agent.reports.title", reports],
      ["feed", "feed.title", feed],
      ["settings", "agent.settings.title", settings],
    ].map(([name, title, panel]) => {
      if (!panel) return { dialog: null, button: null };
      const dialog = this.#panelDialog(`${name}-dialog`, panel);
      const button = this.#openButton(name, title, () => this.#open(dialog, panel));
      return { dialog, button };
    });
    // Invitation rules, admins only: the panel and its dialog are made, and the dialog added
    // to the console, on the first click.
    const rules = admin
      ? this.#openButton("rules", "agent.rules.title", async () => {
          this.#rules ??= import("./admin/rules.js").then(({ RulesPanel }) => {
            const panel = new RulesPanel({ t, api, me, onNotice });
            const dialog = this.#panelDialog("rules-dialog", panel);
            mount(dialog);
            return { panel, dialog };
          });
          const { panel, dialog } = await this.#rules;
          this.#open(dialog, panel);
        })
      : null;
    /** The saved replies panel (every agent has it). */
    this.replies = replies;
    /** The buttons that open the panels, for the side column. */
    this.buttons = h(
      "div",
      { class: "cv-side-actions" },
      ...opened.map(({ button }) => button),
      rules,
    );
    /** The panels' dialogs (null where the agent has no such panel), to add to the console. */
    this.dialogs = opened.map(({ dialog }) => dialog);
  }

  #openButton(name, title, onClick) {
    return h("button", {
      type: "button",
      class: "cv-btn",
      "data-testid": `open-${name}`,
      text: this.#t(title),
      on: { click: onClick },
    });
  }

  /** A settings panel (saved replies, the team) in a dialog with a close button. */
  #panelDialog(testId, panel) {
    const dialog = h(
      "dialog",
      { class: "cv-dialog cv-dialog--wide", "data-testid": testId },
      h(
        "div",
        { class: "cv-dialog-actions" },
        h("button", {
          type: "button",
          class: "cv-btn",
          "data-testid": `${testId}-close`,
          text: this.#t("agent.done"),
          on: { click: () => dialog.close() },
        }),
      ),
      panel.element,
    );
    return dialog;
  }

  async #open(dialog, panel) {
    dialog.showModal();
    try {
      await panel.refresh();
    } catch (error) {
      this.#onNotice(errorText(this.#t, error));
    }
  }
}
