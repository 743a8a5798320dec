/**
 * The agent's capacity in the console (PROTOCOL.md "Routing and presence"): the agent's own
 * load beside their name ("Chats 2/3", from their row of `GET /api/agents`, marked when full),
 * and one more conversation taken only after asking. `take(path, body)` posts once; when the
 * server answers `at_capacity` it asks "take one more anyway?" and, on yes, posts again with
 * `override: true`. Accepting from the queue, a shopper's PIN, a new phone session and an
 * invitation all go through it.
 */

import { h } from "../shared/dom.js";
import { formDialog } from "./form-dialog.js";

export class Capacity {
  #t;
  #api;
  #me;
  #held = -1;
  #load = { open: 0, capacity: 0 };
  #answer = null;

  /**
   * @param {object} options
   * @param {Function} options.t translator
   * @param {import("../shared/api.js").Api} options.api the agent's API client
   * @param {{id: string}} options.me `GET /api/me`
   */
  constructor({ t, api, me }) {
    this.#t = t;
    this.#api = api;
    this.#me = me;
    this.element = h("span", {
      class: "cv-load",
      "data-testid": "agent-load",
      title: t("agent.capacity.title"),
      hidden: true,
    });
    this.question = h("p", { "data-testid": "capacity-question" });
    const { dialog } = formDialog({
      t,
      id: "cv-capacity-title",
      testId: "capacity-dialog",
      title: t("agent.capacity.full"),
      fields: [this.question],
      submit: t("agent.capacity.override"),
      submitTestId: "capacity-override",
      onSubmit: () => {
        this.#answer = true;
        dialog.close();
      },
    });
    this.dialog = dialog;
  }

  /** The console's own conversations changed (`held` of them): read the load again. */
  sync(held) {
    if (held === this.#held) return;
    this.#held = held;
    this.refresh();
  }

  async refresh() {
    try {
      const { agents = [] } = await this.#api.get("/api/agents");
      const mine = agents.find((agent) => agent.id === this.#me.id);
      if (mine) this.#render(mine);
    } catch {
      // Offline: the figure stays as it was and is read again at the next change.
    }
  }

  /**
   * POST `body` to `path` as one more conversation for the agent: the answer, or null when
   * the agent, at capacity, chose not to take it. Other refusals are thrown as they come.
   */
  async take(path, body = {}) {
    try {
      return await this.#api.post(path, body);
    } catch (error) {
      if (error?.code !== "at_capacity") throw error;
    }
    await this.refresh();
    if (!(await this.#ask())) return null;
    const answer = await this.#api.post(path, { ...body, override: true });
    this.refresh();
    return answer;
  }

  #ask() {
    const { open, capacity } = this.#load;
    this.question.textContent = this.#t("agent.capacity.question", { open, capacity });
    this.#answer = false;
    this.dialog.showModal();
    return new Promise((resolve) =>
      this.dialog.addEventListener("close", () => resolve(this.#answer), { once: true }),
    );
  }

  #render({ open, capacity }) {
    this.#load = { open, capacity };
    this.element.hidden = false;
    this.element.textContent = this.#t("agent.capacity.load", { open, capacity });
    this.element.dataset.full = String(open >= capacity);
  }
}
