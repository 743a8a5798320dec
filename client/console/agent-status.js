/**
 * The agent's status in the console's top bar (PROTOCOL.md "Routing and presence"): the select
 * of `online`, `away` and `offline`, kept by the server (`PUT /api/me/status`, read back from
 * `GET /api/agents`), `away` by itself after `awayAfter` seconds without a key or pointer and
 * `online` again on activity. Beside it, the connection pill shows only while the console is
 * not connected ("Connecting…", "Offline"): a green "Online" next to an "Away" status read as
 * a contradiction.
 */

import { h } from "../shared/dom.js";
import { errorText } from "../shared/i18n.js";

export const STATUSES = ["online", "away", "offline"];

export class AgentStatus {
  #t;
  #api;
  #me;
  #awayAfter;
  #onNotice;
  #status = "online";
  #autoAway = false;
  #idleTimer = null;

  /**
   * @param {object} options
   * @param {Function} options.t translator
   * @param {import("../shared/api.js").Api} options.api the agent's API client
   * @param {{id: string}} options.me `GET /api/me`
   * @param {number} options.awayAfter seconds idle before `away`
   * @param {(text: string) => void} options.onNotice shows an error in the console's notice
   */
  constructor({ t, api, me, awayAfter, onNotice }) {
    this.#t = t;
    this.#api = api;
    this.#me = me;
    this.#awayAfter = awayAfter;
    this.#onNotice = onNotice;
    this.select = h(
      "select",
      {
        class: "cv-status-select",
        "data-testid": "agent-status",
        "aria-label": t("agent.status_label"),
        dataset: { status: "online" },
        on: { change: () => this.choose(this.select.value) },
      },
      ...STATUSES.map((status) => h("option", { value: status, text: t(`agent.status.${status}`) })),
    );
    this.connection = h("span", {
      class: "cv-conn",
      "data-testid": "connection-state",
      role: "status",
      text: t("agent.connecting"),
    });
  }

  /** The status shown now. */
  get status() {
    return this.#status;
  }

  /** The console's socket is connected (or not): the pill says so only when it is not. */
  setOnline(online) {
    this.connection.textContent = online ? "" : this.#t("agent.offline_short");
    this.connection.dataset.online = String(online);
    this.connection.hidden = online;
  }

  /** The status this agent chose last (kept by the server), shown in the selector. */
  async load() {
    try {
      const { agents = [] } = await this.#api.get("/api/agents");
      const mine = agents.find((agent) => agent.id === this.#me.id);
      if (mine && mine.status !== "offline") this.#show(mine.status);
      else if (mine) await this.choose(this.#status);
    } catch {
      // The selector keeps its default; choosing a status retries.
    }
  }

  /** The agent chose a status (or the idle timer did, `auto`); the server keeps it. */
  async choose(status, { auto = false } = {}) {
    this.#autoAway = auto && status === "away";
    this.#show(status);
    try {
      await this.#api.request("PUT", "/api/me/status", { status });
    } catch (error) {
      this.#onNotice(errorText(this.#t, error));
    }
  }

  /** Away after `awayAfter` seconds without a key or pointer; back online on activity. */
  watchActivity() {
    const active = () => {
      clearTimeout(this.#idleTimer);
      if (this.#autoAway) this.choose("online");
      this.#idleTimer = setTimeout(() => {
        if (this.#status === "online") this.choose("away", { auto: true });
      }, this.#awayAfter * 1000);
    };
    for (const type of ["pointerdown", "keydown", "wheel", "touchstart"]) {
      document.addEventListener(type, active, { passive: true });
    }
    active();
  }

  #show(status) {
    this.#status = status;
    this.select.value = status;
    this.select.dataset.status = status;
  }
}
