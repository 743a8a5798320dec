/**
 * The console's history: the shop's closed conversations, whichever agent had them, searched
 * (`GET /api/conversations?status=closed`: a piece of the shopper's name, e-mail or of a
 * message, the dates it was opened, the agent, the rating) and paged ("More"), in a dialog
 * opened from the side column; and the selected conversation's customer's earlier ones
 * (`…/earlier`), beside the chat. Picking a closed one opens it read-only (`onOpen`).
 */

import { displayName } from "../shared/chat-view.js";
import { h } from "../shared/dom.js";
import { errorText } from "../shared/i18n.js";
import { earlierItems, lastMessageLine } from "./lists.js";

const PAGE = 25;

export class HistoryView {
  #t;
  #api;
  #me;
  #onOpen;
  #next = null;
  #query = "";
  #agents = new Map();

  /**
   * @param {object} options
   * @param {Function} options.t translator
   * @param {import("../shared/api.js").Api} options.api the agent's API client
   * @param {{id: string}} options.me `GET /api/me`
   * @param {(conversationId: string) => void} options.onOpen a conversation was picked
   */
  constructor({ t, api, me, onOpen }) {
    this.#t = t;
    this.#api = api;
    this.#me = me;
    this.#onOpen = onOpen;
    const field = (key, control) =>
      h("label", { class: "cv-history-field" }, h("span", { text: t(key) }), control);
    this.text = h("input", {
      type: "search",
      maxlength: "200",
      "data-testid": "history-q",
      placeholder: t("agent.history.q_placeholder"),
    });
    this.from = h("input", { type: "date", "data-testid": "history-from" });
    this.to = h("input", { type: "date", "data-testid": "history-to" });
    this.agent = h("select", { "data-testid": "history-agent" });
    this.rating = h(
      "select",
      { "data-testid": "history-rating" },
      h("option", { value: "", text: t("agent.history.any") }),
      ...[5, 4, 3, 2, 1].map((n) =>
        h("option", { value: String(n), text: "★".repeat(n) + "☆".repeat(5 - n) }),
      ),
    );
    this.list = h("ul", { class: "cv-list cv-history-list", "data-testid": "history-list" });
    this.more = h("button", {
      type: "button",
      class: "cv-btn",
      "data-testid": "history-more",
      hidden: true,
      text: t("agent.history.more"),
      on: { click: () => this.#load(true) },
    });
    this.error = h("p", { class: "cv-history-error", role: "alert", "data-testid": "history-error" });
    const form = h(
      "form",
      {
        class: "cv-history-form",
        role: "search",
        on: {
          submit: (event) => {
            event.preventDefault();
            this.#load(false);
          },
        },
      },
      field("agent.history.q", this.text),
      field("agent.history.from", this.from),
      field("agent.history.to", this.to),
      field("agent.history.agent", this.agent),
      field("agent.history.rating", this.rating),
      h("button", {
        type: "submit",
        class: "cv-btn cv-btn--primary",
        "data-testid": "history-search",
        text: t("agent.history.search"),
      }),
    );
    this.dialog = h(
      "dialog",
      {
        class: "cv-dialog cv-dialog--wide",
        "data-testid": "history-dialog",
        "aria-labelledby": "cv-history-title",
      },
      h(
        "div",
        { class: "cv-dialog-actions" },
        h("h2", { id: "cv-history-title", class: "cv-section-title", text: t("agent.history.title") }),
        h("button", {
          type: "button",
          class: "cv-btn",
          "data-testid": "history-close",
          text: t("agent.done"),
          on: { click: () => this.dialog.close() },
        }),
      ),
      form,
      this.error,
      this.list,
      this.more,
    );
    /** The same customer's earlier conversations (`showEarlier`), for the media pane. */
    this.earlierList = h("ul", {
      class: "cv-list",
      "data-testid": "earlier-list",
      "aria-labelledby": "cv-earlier-title",
    });
    /** The side column's button that opens the history. */
    this.button = h("button", {
      type: "button",
      class: "cv-btn",
      "data-testid": "open-history",
      text: t("agent.history.title"),
      on: { click: () => this.open() },
    });
  }

  /** Show the history, its agents to filter by, and the newest closed conversations. */
  async open() {
    this.dialog.showModal();
    await Promise.all([this.#loadAgents(), this.#load(false)]);
  }

  /**
   * List the earlier conversations of conversation `id`'s verified customer (none without an
   * id), unless `current()` says the agent has since selected another.
   */
  async showEarlier(id, current) {
    this.earlierList.replaceChildren();
    if (!id) return;
    let found = [];
    try {
      const path = `/api/conversations/${encodeURIComponent(id)}/earlier`;
      found = (await this.#api.get(path)).conversations ?? [];
    } catch {
      found = [];
    }
    if (!current()) return;
    const options = { t: this.#t, selfId: this.#me.id, onOpen: this.#onOpen };
    this.earlierList.replaceChildren(...earlierItems(found, options));
  }

  async #loadAgents() {
    if (this.#agents.size) return;
    try {
      for (const agent of (await this.#api.get("/api/agents")).agents ?? []) {
        this.#agents.set(agent.id, agent.name);
      }
    } catch {
      // The filter then offers "any agent" only; the search itself still works.
    }
    this.agent.replaceChildren(
      h("option", { value: "", text: this.#t("agent.history.any") }),
      ...[...this.#agents].map(([id, name]) =>
        h("option", { value: id, text: id === this.#me.id ? this.#t("agent.history.me") : name }),
      ),
    );
  }

  /** The first page of the search the form says, or (`more`) the next page of the last. */
  async #load(more) {
    if (!more) {
      const params = new URLSearchParams({ status: "closed", limit: String(PAGE) });
      const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (tz) params.set("tz", tz);
      for (const [name, control] of [
        ["q", this.text],
        ["from", this.from],
        ["to", this.to],
        ["agent", this.agent],
        ["rating", this.rating],
      ]) {
        if (control.value.trim()) params.set(name, control.value.trim());
      }
      this.#query = params.toString();
    }
    const offset = more ? `&offset=${this.#next}` : "";
    this.error.textContent = "";
    let page;
    try {
      page = await this.#api.get(`/api/conversations?${this.#query}${offset}`);
    } catch (error) {
      this.error.textContent = errorText(this.#t, error);
      return;
    }
    const found = page.conversations ?? [];
    this.#next = page.next_offset ?? null;
    this.more.hidden = this.#next === null;
    const items = found.map((summary) => this.#item(summary));
    if (more) this.list.append(...items);
    else if (items.length) this.list.replaceChildren(...items);
    else {
      const empty = h("li", { class: "cv-list-empty", text: this.#t("agent.history.empty") });
      this.list.replaceChildren(empty);
    }
  }

  /** A closed conversation: who, when, with whom, the rating, its last line; a button opens it. */
  #item(summary) {
    const t = this.#t;
    const when = new Intl.DateTimeFormat(t.lang, { dateStyle: "medium", timeStyle: "short" });
    const visitor = summary.visitor ?? {};
    const score = summary.rating?.score;
    const facts = [
      when.format(new Date(summary.created_at)),
      summary.agent_name ? t("agent.history.with", { name: summary.agent_name }) : null,
      score ? "★".repeat(score) + "☆".repeat(5 - score) : null,
    ].filter(Boolean);
    return h(
      "li",
      { class: "cv-list-item", "data-testid": "history-item", dataset: { id: summary.id } },
      h(
        "button",
        {
          type: "button",
          class: "cv-list-open",
          "data-testid": "history-open",
          on: {
            click: () => {
              this.dialog.close();
              this.#onOpen(summary.id);
            },
          },
        },
        h(
          "span",
          { class: "cv-list-text" },
          h("strong", { text: displayName(t, visitor.name || summary.name) }),
          visitor.email ? h("span", { class: "cv-list-meta", text: visitor.email }) : null,
          h("span", { class: "cv-list-meta", text: facts.join(" · ") }),
          lastMessageLine(t, summary.last_message, this.#me.id),
        ),
      ),
    );
  }
}
