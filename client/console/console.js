/**
 * The agent console (`/agent`): log in with an agent token (kept in localStorage), see the
 * waiting queue (`queue` pushes, first filled by `GET /api/conversations?status=waiting`),
 * accept a conversation (`POST …/accept`, then `join`), chat in several conversations at once,
 * put catalogue products or the shopper's uploads in the shared viewer, draw and drive videos
 * with the same viewer as the shopper, and link phone callers with PINs.
 *
 * One Socket.IO connection carries every conversation; each has its own `ConversationSession`.
 * On a phone-sized screen one pane shows at a time, switched by a tab bar. The server's limits
 * and settings (`GET /api/config`) are read once at start, while the language loads.
 *
 * The inbox: who each shopper is (summaries' `visitor`, the same customer's earlier
 * conversations), unread counts from the server's read marks, the agent's status (set here;
 * `away` by itself after `away_after` seconds idle), alerts (alerts.js: a sound, a desktop
 * notification while hidden, the count in the title and favicon, Web Push), conversations
 * given to the agent (`assigned` pushes), transfers with a note, internal notes, saved replies
 * (`/` in the composer), ratings; closed and transferred conversations leave the list.
 */

import {
  activeItems,
  agentUploadCard,
  catalogueItems,
  lastMessageLine,
  pageLabel,
  queueItems,
  safePageUrl,
  visitorBadges,
} from "./lists.js";
import { showLogin, identifyAgent, logOut, storedToken } from "./login.js";
import { RepliesPanel } from "./admin/saved-replies.js";
import { TeamPanel } from "./admin/team.js";
import { ReportsPanel } from "./admin/reports.js";
import { VisitorsList } from "./visitors.js";
import { WebhooksPanel } from "./admin/webhooks.js";
import { createAlerts } from "./alerts.js";
import { AgentPhoneBox } from "./phone-box.js";
import { AgentLightbox } from "./lightbox.js";
import { Api, serverUrl } from "../shared/api.js";
import { ChatView, displayName } from "../shared/chat-view.js";
import { Connection } from "../shared/connection.js";
import { ConversationSession } from "../shared/conversation-session.js";
import { Change } from "../shared/conversation-state.js";
import { h, icon } from "../shared/dom.js";
import { formDialog } from "./form-dialog.js";
import { errorText, loadTranslator, pickLanguage } from "../shared/i18n.js";
import { CONFIG_PATH, DEFAULT_LIMITS, Events, mergeLimits } from "../shared/protocol.js";
import { attachReplyPicker } from "./reply-picker.js";
import { Viewer } from "../shared/viewer.js";

const PANES = ["list", "viewer", "chat", "media"];
const CLOSE_ARM_MS = 4000;
const STATUSES = ["online", "away", "offline"];
/** Seconds idle before the console sets the agent away, unless the server says otherwise. */
const AWAY_AFTER = 600;
/** Wide enough for the three-column layout, where the chat is always on screen. */
const WIDE = window.matchMedia("(min-width: 900px)");
const origin = location.origin;

class Console {
  #t;
  #api;
  #me;
  #limits;
  #connection;
  #sessions = new Map();
  #selected = null;
  #queue = [];
  #catalogue = [];
  #seen = new Map();
  #noticeTimer = null;
  #disarmTimer = null;
  #catalogueUnavailable = false;
  #token;
  #summaries = new Map();
  #replies = [];
  #alerts;
  #awayAfter;
  #status = "online";
  #autoAway = false;
  #idleTimer = null;
  #queueKnown = null;
  #dropOnLeave = new Set();
  #settings;

  constructor({ t, token, me, root, limits = DEFAULT_LIMITS, settings = {} }) {
    this.#t = t;
    this.#token = token;
    this.#api = new Api(origin, token);
    this.#me = me;
    this.#limits = limits;
    this.#awayAfter = Number(settings.away_after) > 0 ? Number(settings.away_after) : AWAY_AFTER;
    this.#settings = settings;
    this.#alerts = createAlerts({
      document,
      Notification: globalThis.Notification ?? null,
      audio: globalThis.AudioContext ? () => new AudioContext() : null,
      storage: localStorage,
      t,
      serviceWorker: navigator.serviceWorker ?? null,
    });
    this.viewer = new Viewer({ t, origin, emptyText: t("agent.viewer_empty") });
    this.viewer.setApi(this.#api);
    this.lightbox = new AgentLightbox({ t, origin });
    this.chat = new ChatView({
      t,
      renderUpload: (item) => this.#uploadCard(item),
      maxMessageChars: limits.max_message_chars,
    });
    this.#connection = new Connection({ origin, token });
    this.#build(root);
    this.#connection.addEventListener("queue", (event) =>
      this.#setQueue(event.detail?.conversations ?? []),
    );
    this.#connection.addEventListener("assigned", (event) => this.#onAssigned(event.detail));
    this.#connection.addEventListener("visitors", (event) =>
      this.visitors.update(event.detail?.visitors),
    );
    this.#connection.addEventListener("online", () => this.#setOnline(true));
    this.#connection.addEventListener("offline", () => this.#setOnline(false));
    this.#connection.addEventListener("unauthorized", () => logout(t("agent.token_rejected")));
    this.#connection.connect();
    this.#loadInitial();
    this.#watchActivity();
    const firstClick = () => this.#enableAlerts();
    document.addEventListener("click", firstClick, { once: true });
  }

  /** Asked from a click, as browsers require: desktop notifications, then Web Push. */
  async #enableAlerts() {
    const permission = await this.#alerts.askPermissionOnce();
    if (permission === "granted") {
      try {
        await this.#alerts.subscribePush(this.#api);
      } catch {
        // Push is a bonus: the console's own sound and notifications still work.
      }
    }
  }

  #build(root) {
    const t = this.#t;
    this.queueList = h("ul", {
      class: "cv-list",
      "data-testid": "queue-list",
      "aria-labelledby": "cv-queue-title",
    });
    this.queueCount = h("span", { class: "cv-count", "data-testid": "queue-count", text: "0" });
    this.activeList = h("ul", {
      class: "cv-list",
      "data-testid": "active-list",
      "aria-labelledby": "cv-active-title",
    });
    this.catalogueList = h("ul", {
      class: "cv-tiles",
      "data-testid": "catalogue-list",
      "aria-labelledby": "cv-catalogue-title",
    });
    this.uploadsList = h("ul", {
      class: "cv-uploads",
      "data-testid": "uploads-list",
      "aria-labelledby": "cv-uploads-title",
    });
    this.connectionState = h("span", {
      class: "cv-conn",
      "data-testid": "connection-state",
      role: "status",
      text: t("agent.connecting"),
    });
    this.banner = h("p", {
      class: "cv-banner",
      "data-testid": "offline-banner",
      role: "status",
      hidden: true,
      text: t("agent.offline"),
    });
    this.notice = h("p", {
      class: "cv-notice",
      "data-testid": "console-notice",
      role: "alert",
      hidden: true,
    });
    this.phone = new AgentPhoneBox({
      t,
      api: this.#api,
      onLinked: (conversationId, options) => this.#open(conversationId, options),
      onNotice: (text) => this.#showNotice(text),
      onAction: () => this.#hideNotice(),
      pinLength: this.#limits.pin_length,
    });
    /** Where the PIN for a caller shows: right under the button that issued it. */
    this.issueSlot = h("div", { class: "cv-issue-slot" });
    this.convTitle = h("h2", {
      class: "cv-conv-title",
      "data-testid": "conversation-title",
      text: t("agent.no_conversation"),
    });
    this.convPage = h("a", {
      class: "cv-conv-page",
      target: "_blank",
      rel: "noopener noreferrer",
      "data-testid": "conversation-page",
    });
    this.convPresence = h("span", {
      class: "cv-conv-presence",
      "data-testid": "conversation-presence",
    });
    this.issueButton = h(
      "button",
      {
        type: "button",
        class: "cv-btn",
        "data-testid": "agent-pin-issue",
        disabled: true,
        on: {
          click: () => {
            this.#hideNotice();
            this.phone.issueFor(this.#selected?.conversationId, this.issueSlot);
          },
        },
      },
      icon("phone"),
      t("agent.issue_pin"),
    );
    this.statusSelect = h(
      "select",
      {
        class: "cv-status-select",
        "data-testid": "agent-status",
        "aria-label": t("agent.status_label"),
        dataset: { status: "online" },
        on: { change: () => this.#chooseStatus(this.statusSelect.value) },
      },
      ...STATUSES.map((status) =>
        h("option", { value: status, text: t(`agent.status.${status}`) }),
      ),
    );
    this.soundButton = h("button", {
      type: "button",
      class: "cv-btn cv-icon-btn",
      "data-testid": "sound-toggle",
      on: { click: () => this.#toggleSound() },
    });
    this.#renderSound();
    this.transferButton = h(
      "button",
      {
        type: "button",
        class: "cv-btn",
        "data-testid": "conversation-transfer",
        disabled: true,
        on: { click: () => this.#openTransfer() },
      },
      icon("transfer"),
      t("agent.transfer"),
    );
    this.noteButton = h(
      "button",
      {
        type: "button",
        class: "cv-btn",
        "data-testid": "conversation-note",
        disabled: true,
        on: { click: () => this.#openNote() },
      },
      icon("note"),
      t("agent.note"),
    );
    this.convVisitor = h("div", {
      class: "cv-conv-visitor",
      "data-testid": "conversation-visitor",
    });
    this.convRating = h("p", {
      class: "cv-conv-rating",
      "data-testid": "conversation-rating",
      hidden: true,
    });
    this.earlierList = h("ul", {
      class: "cv-list",
      "data-testid": "earlier-list",
      "aria-labelledby": "cv-earlier-title",
    });
    this.repliesPanel = new RepliesPanel({
      t,
      api: this.#api,
      me: this.#me,
      catalogue: () => this.#catalogue,
      onChange: (replies) => {
        this.#replies = replies;
      },
      maxChars: this.#limits.max_message_chars,
    });
    this.repliesDialog = this.#panelDialog("replies-dialog", this.repliesPanel);
    this.teamPanel = this.#me.admin
      ? new TeamPanel({
          t,
          api: this.#api,
          me: this.#me,
          onNotice: (text) => this.#showNotice(text),
        })
      : null;
    this.teamDialog = this.teamPanel ? this.#panelDialog("team-dialog", this.teamPanel) : null;
    this.webhooksPanel = this.#me.admin
      ? new WebhooksPanel({
          t,
          api: this.#api,
          me: this.#me,
          onNotice: (text) => this.#showNotice(text),
        })
      : null;
    this.webhooksDialog = this.webhooksPanel
      ? this.#panelDialog("webhooks-dialog", this.webhooksPanel)
      : null;
    this.reportsPanel = this.#me.admin
      ? new ReportsPanel({ t, api: this.#api, me: this.#me })
      : null;
    this.reportsDialog = this.reportsPanel
      ? this.#panelDialog("reports-dialog", this.reportsPanel)
      : null;
    this.visitors = new VisitorsList({
      t,
      api: this.#api,
      idleSeconds: Number(this.#settings.visitor_idle) || 120,
    });
    this.transferDialog = this.#buildTransferDialog();
    this.noteDialog = this.#buildNoteDialog();
    this.closeButton = h("button", {
      type: "button",
      class: "cv-btn",
      "data-testid": "conversation-close",
      disabled: true,
      text: t("agent.close_conversation"),
      on: { click: () => this.#closeConversation() },
    });
    this.tabs = PANES.map((pane) =>
      h("button", {
        type: "button",
        class: "cv-tab",
        role: "tab",
        "data-testid": `tab-${pane}`,
        dataset: { pane },
        "aria-selected": String(pane === "list"),
        text: t(`agent.tab.${pane}`),
        on: { click: () => this.#showPane(pane) },
      }),
    );
    this.tabBadge = h("span", { class: "cv-badge", hidden: true });
    this.tabs[2].append(this.tabBadge);
    const section = (id, title, ...content) =>
      h(
        "section",
        { class: "cv-section" },
        h("h2", { id, class: "cv-section-title" }, ...title),
        ...content,
      );
    this.root = h(
      "div",
      { class: "cv-console cv-theme", dataset: { pane: "list" } },
      h("a", {
        class: "cv-skip-link",
        href: "#cv-conversation",
        "data-testid": "skip-link",
        text: t("agent.skip_to_conversation"),
        on: { click: (event) => this.#skipToConversation(event) },
      }),
      h(
        "header",
        { class: "cv-topbar" },
        h("span", { class: "cv-brand", text: "Covisor" }),
        h("span", { class: "cv-agent-name", "data-testid": "agent-name", text: this.#me.name }),
        this.statusSelect,
        this.connectionState,
        this.soundButton,
        h(
          "button",
          {
            type: "button",
            class: "cv-btn cv-icon-btn",
            "data-testid": "agent-logout",
            "aria-label": t("agent.logout"),
            title: t("agent.logout"),
            on: { click: () => this.#logOut() },
          },
          icon("logout"),
        ),
      ),
      this.banner,
      this.notice,
      h("nav", { class: "cv-tabs", role: "tablist", "aria-label": t("agent.panes") }, this.tabs),
      h(
        "aside",
        { class: "cv-pane cv-side", dataset: { pane: "list" } },
        section("cv-queue-title", [t("agent.queue"), " ", this.queueCount], this.queueList),
        section("cv-active-title", [t("agent.active")], this.activeList),
        section(
          "cv-visitors-title",
          [t("agent.visitors.title"), " ", this.visitors.count],
          this.visitors.list,
        ),
        section("cv-phone-title", [t("agent.phone")], this.phone.elements),
        h(
          "div",
          { class: "cv-side-actions" },
          h("button", {
            type: "button",
            class: "cv-btn",
            "data-testid": "open-replies",
            text: t("agent.replies.title"),
            on: { click: () => this.#openPanel(this.repliesDialog, this.repliesPanel) },
          }),
          this.#me.admin
            ? h("button", {
                type: "button",
                class: "cv-btn",
                "data-testid": "open-team",
                text: t("agent.team.title"),
                on: { click: () => this.#openPanel(this.teamDialog, this.teamPanel) },
              })
            : null,
          this.#me.admin
            ? h("button", {
                type: "button",
                class: "cv-btn",
                "data-testid": "open-webhooks",
                text: t("agent.webhooks.title"),
                on: { click: () => this.#openPanel(this.webhooksDialog, this.webhooksPanel) },
              })
            : null,
          this.#me.admin
            ? h("button", {
                type: "button",
                class: "cv-btn",
                "data-testid": "open-reports",
                text: t("agent.reports.title"),
                on: { click: () => this.#openPanel(this.reportsDialog, this.reportsPanel) },
              })
            : null,
          // Invitation rules (agent-rules.js), admins only: the panel and its dialog are made,
          // and the dialog added to the console, on the first click.
          this.#me.admin
            ? h("button", {
                type: "button",
                class: "cv-btn",
                "data-testid": "open-rules",
                text: t("agent.rules.title"),
                on: {
                  click: async () => {
                    this.rules ??= import("./admin/rules.js").then(({ RulesPanel }) => {
                      const onNotice = (text) => this.#showNotice(text);
                      const panel = new RulesPanel({ t, api: this.#api, me: this.#me, onNotice });
                      const dialog = this.#panelDialog("rules-dialog", panel);
                      this.root.append(dialog);
                      return { panel, dialog };
                    });
                    const { panel, dialog } = await this.rules;
                    this.#openPanel(dialog, panel);
                  },
                },
              })
            : null,
        ),
      ),
      h(
        "main",
        { class: "cv-main", id: "cv-conversation", tabindex: "-1" },
        h(
          "div",
          { class: "cv-conv-header" },
          h(
            "div",
            { class: "cv-conv-heading" },
            this.convTitle,
            h("p", { class: "cv-conv-sub" }, this.convPresence, this.convPage),
            this.convVisitor,
            this.convRating,
          ),
          this.issueButton,
          this.transferButton,
          this.noteButton,
          this.closeButton,
          this.issueSlot,
        ),
        h(
          "div",
          { class: "cv-pane cv-viewer-pane", dataset: { pane: "viewer" } },
          this.viewer.element,
        ),
        h(
          "div",
          { class: "cv-pane cv-media-pane", dataset: { pane: "media" } },
          section("cv-catalogue-title", [t("agent.catalogue")], this.catalogueList),
          section("cv-uploads-title", [t("agent.uploads")], this.uploadsList),
          section("cv-earlier-title", [t("agent.earlier")], this.earlierList),
        ),
      ),
      h("div", { class: "cv-pane cv-chat-pane", dataset: { pane: "chat" } }, this.chat.element),
      this.lightbox.element,
      this.transferDialog,
      this.noteDialog,
      this.visitors.dialog,
      this.repliesDialog,
      this.teamDialog,
      this.webhooksDialog,
      this.reportsDialog,
    );
    root.replaceChildren(this.root);
    attachReplyPicker({
      textarea: this.chat.input,
      replies: () => this.#replies,
      context: () => ({ name: this.#selected?.state.name, agent: this.#me.name }),
      onPick: (reply) => this.#pickedReply(reply),
      t,
      container: this.chat.input.parentElement,
    });
    this.chat.active = WIDE.matches;
    WIDE.addEventListener("change", () => this.#showPane(this.root.dataset.pane));
    this.#renderQueue();
    this.#renderActive();
    this.#renderCatalogue();
    this.#renderConversation();
    setInterval(() => this.#renderQueue(), 30000);
  }

  async #loadInitial() {
    try {
      const [waiting, active] = await Promise.all([
        this.#api.get("/api/conversations?status=waiting"),
        this.#api.get("/api/conversations?status=active"),
      ]);
      this.#setQueue(waiting.conversations ?? []);
      for (const summary of active.conversations ?? []) {
        this.#summaries.set(summary.id, summary);
        this.#addSession(summary.id);
      }
      if (!this.#selected && this.#sessions.size) this.#select(this.#sessions.keys().next().value);
    } catch (error) {
      this.#showNotice(errorText(this.#t, error));
    }
    try {
      this.#catalogue = (await this.#api.get("/api/catalogue")).items ?? [];
    } catch {
      this.#catalogue = [];
      this.#catalogueUnavailable = true;
    }
    this.#renderCatalogue();
    await Promise.all([this.#loadReplies(), this.#loadStatus(), this.visitors.refresh()]);
    setInterval(() => this.visitors.render(), 15_000);
    setInterval(() => this.visitors.refresh(), 60_000);
  }

  async #loadReplies() {
    try {
      this.#replies = (await this.#api.get("/api/replies")).replies ?? [];
    } catch {
      this.#replies = [];
    }
  }

  /** The status this agent chose last (kept by the server), shown in the selector. */
  async #loadStatus() {
    try {
      const { agents = [] } = await this.#api.get("/api/agents");
      const mine = agents.find((agent) => agent.id === this.#me.id);
      if (mine && mine.status !== "offline") this.#showStatus(mine.status);
      else if (mine) await this.#chooseStatus(this.#status);
    } catch {
      // The selector keeps its default; choosing a status retries.
    }
  }

  #setOnline(online) {
    this.banner.hidden = online;
    this.connectionState.textContent = this.#t(online ? "agent.connected" : "agent.offline_short");
    this.connectionState.dataset.online = String(online);
  }

  #setQueue(conversations) {
    this.#queue = conversations.filter((summary) => !this.#sessions.has(summary.id));
    const ids = new Set(this.#queue.map((summary) => summary.id));
    const fresh = this.#queueKnown ? this.#queue.filter((s) => !this.#queueKnown.has(s.id)) : [];
    this.#queueKnown = ids;
    if (fresh.length > 0 && this.#status !== "offline") {
      const newest = fresh[fresh.length - 1];
      this.#alert("new_chat", { name: displayName(this.#t, newest.name) }, `queue-${newest.id}`);
    }
    this.#renderQueue();
  }

  /** A sound, and a desktop notification while the console is hidden. */
  #alert(kind, params, tag) {
    this.#alerts.ring();
    const { title, body } = this.#alerts.text(kind, params);
    this.#alerts.notify(title, body, { tag, url: "/agent", onClick: () => window.focus() });
  }

  /** A conversation became ours on the server (routed or transferred to us). */
  #onAssigned(summary) {
    if (!summary?.id) return;
    this.#summaries.set(summary.id, summary);
    const known = this.#sessions.has(summary.id);
    this.#addSession(summary.id);
    this.#setQueue(this.#queue);
    if (!known) {
      this.#alert(
        "new_chat",
        { name: displayName(this.#t, summary.name) },
        `assigned-${summary.id}`,
      );
      if (!this.#selected) this.#select(summary.id);
    }
  }

  #renderQueue() {
    const t = this.#t;
    this.queueCount.textContent = String(this.#queue.length);
    this.queueList.replaceChildren(
      ...queueItems(this.#queue, {
        t,
        selfId: this.#me.id,
        onAccept: (id, button) => this.#accept(id, button),
      }),
    );
  }

  async #accept(conversationId, button) {
    this.#hideNotice();
    button.disabled = true;
    try {
      await this.#api.post(`/api/conversations/${encodeURIComponent(conversationId)}/accept`);
      this.#open(conversationId);
    } catch (error) {
      button.disabled = false;
      this.#showNotice(
        error.code === "conflict" ? this.#t("agent.taken") : errorText(this.#t, error),
      );
    }
  }

  /**
   * Show a conversation that is now ours (accepted, or linked by PIN). `keepPane`: stay where
   * the agent is (a new phone session's PIN shows under its button, in the list pane).
   */
  #open(conversationId, { keepPane = false } = {}) {
    this.#addSession(conversationId);
    this.#select(conversationId);
    if (!keepPane) this.#showPane("chat");
    this.#setQueue(this.#queue);
  }

  #addSession(conversationId) {
    if (this.#sessions.has(conversationId)) return this.#sessions.get(conversationId);
    const session = new ConversationSession({
      connection: this.#connection,
      conversationId,
      selfId: this.#me.id,
      limits: this.#limits,
    });
    session.addEventListener("change", (event) => this.#onSessionChange(session, event.detail));
    this.#sessions.set(conversationId, session);
    session.open();
    this.#renderActive();
    return session;
  }

  #select(conversationId) {
    this.#disarmClose();
    this.#hideNotice();
    const leaving = this.#selected?.conversationId;
    if (leaving && leaving !== conversationId && this.#dropOnLeave.has(leaving)) {
      this.#dropSession(leaving);
    }
    const session = this.#sessions.get(conversationId) ?? null;
    this.#selected = session;
    this.viewer.setSession(session);
    this.chat.setSession(session);
    this.#markSeen(session);
    this.#renderActive();
    this.#renderConversation();
    this.#renderCatalogue();
    this.#loadEarlier(session);
    this.phone.clear();
  }

  /**
   * Take a conversation off the agent's list: closed (once the agent looks elsewhere) or
   * handed to someone else.
   */
  #dropSession(conversationId) {
    const session = this.#sessions.get(conversationId);
    this.#dropOnLeave.delete(conversationId);
    if (!session) return;
    this.#sessions.delete(conversationId);
    this.#summaries.delete(conversationId);
    session.close();
    if (this.#selected === session) {
      const next = this.#sessions.keys().next().value;
      if (next) this.#select(next);
      else {
        this.#selected = null;
        this.viewer.setSession(null);
        this.chat.setSession(null);
        this.#renderConversation();
      }
    }
    this.#renderActive();
  }

  /** The same verified customer's other conversations, beside the chat. */
  async #loadEarlier(session) {
    const t = this.#t;
    this.earlierList.replaceChildren();
    if (!session) return;
    let found = [];
    try {
      const id = encodeURIComponent(session.conversationId);
      found = (await this.#api.get(`/api/conversations/${id}/earlier`)).conversations ?? [];
    } catch {
      found = [];
    }
    if (this.#selected !== session) return;
    this.earlierList.replaceChildren(
      ...(found.length
        ? found.map((summary) =>
            h(
              "li",
              { class: "cv-list-item", "data-testid": "earlier-item" },
              h(
                "div",
                { class: "cv-list-text" },
                h("strong", {
                  text: t("agent.earlier_item", {
                    date: new Intl.DateTimeFormat(t.lang, { dateStyle: "medium" }).format(
                      new Date(summary.created_at),
                    ),
                    status: t(`agent.status_of.${summary.status}`),
                  }),
                }),
                lastMessageLine(t, summary.last_message, this.#me.id),
              ),
            ),
          )
        : [h("li", { class: "cv-list-empty", text: t("agent.earlier_empty") })]),
    );
  }

  #onSessionChange(session, { change, event }) {
    if (event?.type === "member.joined") this.phone.callerJoined(session.conversationId);
    if (event?.type === "chat.message" && event.actor?.id !== this.#me.id) {
      const visible = session === this.#selected && !document.hidden;
      if (!visible) {
        this.#alert(
          "new_message",
          { name: displayName(this.#t, event.actor?.name), preview: event.data?.text ?? "" },
          `message-${session.conversationId}`,
        );
      }
    }
    if (event?.type === "conversation.transferred" && event.data?.to?.id !== this.#me.id) {
      const to = event.data?.to?.name;
      this.#showNotice(
        to ? this.#t("agent.transferred_to", { name: to }) : this.#t("agent.returned_to_queue"),
      );
      this.#dropSession(session.conversationId);
      return;
    }
    if (
      event?.type === "conversation.closed" ||
      (change === Change.STATUS && session.state.status === "closed")
    ) {
      if (session === this.#selected) this.#dropOnLeave.add(session.conversationId);
      else if (event) this.#dropSession(session.conversationId);
    }
    if (session === this.#selected) {
      if ([Change.STATUS, "presence", "joined"].includes(change)) this.#renderConversation();
      if ([Change.TIMELINE, "joined"].includes(change)) this.#renderUploads();
      if (change === Change.STATUS || change === "joined") this.#renderCatalogue();
      if (!document.hidden && this.root.dataset.pane !== "list") this.#markSeen(session);
    }
    if (change === "error") this.#showNotice(this.#t("agent.join_failed"));
    if ([Change.TIMELINE, Change.STATUS, Change.READS, "presence", "joined"].includes(change))
      this.#renderActive();
  }

  #markSeen(session) {
    if (session) this.#seen.set(session.conversationId, session.state.lastIncomingSeq());
  }

  /**
   * Messages by others after this agent's read mark, which the server keeps (`chat.read`): right
   * after a reload and on a second device. The open conversation counts as read once seen here.
   */
  #unread(session) {
    const read = Math.max(
      session.state.reads?.[this.#me.id] ?? 0,
      this.#seen.get(session.conversationId) ?? 0,
    );
    return session.state.messages.filter((m) => m.seq > read && m.actor?.id !== this.#me.id).length;
  }

  #renderActive() {
    const entries = [...this.#sessions.values()].map((session) => {
      const summary = this.#summaries.get(session.conversationId);
      const last = session.state.messages.at(-1);
      return {
        id: session.conversationId,
        name: session.state.name,
        page: session.state.page,
        status: session.state.status,
        online: session.present.size > 0,
        unread: session === this.#selected ? 0 : this.#unread(session),
        visitor: session.state.visitor ?? summary?.visitor,
        lastMessage: last
          ? { text: last.data?.text ?? last.text ?? "", author: last.actor }
          : summary?.last_message,
      };
    });
    this.activeList.replaceChildren(
      ...activeItems(entries, this.#selected?.conversationId, {
        t: this.#t,
        selfId: this.#me.id,
        onSelect: (id) => {
          this.#select(id);
          this.#showPane("chat");
        },
      }),
    );
    const unread = entries.reduce((sum, entry) => sum + entry.unread, 0);
    this.tabBadge.hidden = unread === 0;
    this.tabBadge.textContent = String(unread);
    this.#alerts.setUnread(unread + this.#queue.length);
  }

  #renderConversation() {
    const t = this.#t;
    const session = this.#selected;
    const state = session?.state;
    this.convTitle.textContent = state ? displayName(t, state.name) : t("agent.no_conversation");
    const url = safePageUrl(state?.page);
    this.convPage.textContent = pageLabel(state?.page);
    if (url) this.convPage.href = url;
    else this.convPage.removeAttribute("href");
    let presence = "";
    let shown = "none";
    if (state?.status === "closed") [presence, shown] = [t("agent.closed"), "closed"];
    else if (session?.present.size) [presence, shown] = [t("agent.shopper_online"), "online"];
    else if (session?.departed.size) [presence, shown] = [t("agent.shopper_offline"), "offline"];
    this.convPresence.textContent = presence;
    this.convPresence.dataset.online = String(shown === "online");
    this.convPresence.dataset.presence = shown;
    const open = Boolean(state) && state.status !== "closed";
    this.issueButton.disabled = !open;
    this.closeButton.disabled = !open;
    this.transferButton.disabled = !open;
    this.noteButton.disabled = !state;
    this.#renderVisitor(session);
    this.#renderUploads();
  }

  /** Who the shopper is: verified or not, e-mail, device, language; and their rating. */
  #renderVisitor(session) {
    const t = this.#t;
    const visitor = session?.state.visitor ?? this.#summaries.get(session?.conversationId)?.visitor;
    const email = visitor?.email
      ? h("a", {
          class: "cv-conv-email",
          href: `mailto:${visitor.email}`,
          "data-testid": "visitor-email",
          text: visitor.email,
        })
      : null;
    const badges = visitorBadges(t, visitor);
    // A message left while the shop was away (after-hours.js); e-mail off: the answer waits.
    const mailOff = visitor?.email && this.#settings.email === false;
    const offline = this.#summaries.get(session?.conversationId)?.offline
      ? h("span", {
          class: "cv-conv-offline",
          "data-testid": "offline-message",
          text: t("agent.offline_message") + (mailOff ? ` — ${t("agent.offline_no_email")}` : ""),
        })
      : null;
    this.convVisitor.replaceChildren(...[badges, email, offline].filter(Boolean));
    const rating = session?.state.rating;
    this.convRating.hidden = !rating;
    this.convRating.textContent = rating
      ? t("agent.rated", {
          stars: "★".repeat(rating.score) + "☆".repeat(5 - rating.score),
          score: rating.score,
        }) + (rating.comment ? ` — “${rating.comment}”` : "")
      : "";
  }

  #renderCatalogue() {
    const t = this.#t;
    if (this.#catalogueUnavailable) {
      this.catalogueList.replaceChildren(
        h("li", { class: "cv-list-empty", text: t("agent.catalogue_unavailable") }),
      );
      return;
    }
    const disabled = !this.#selected || this.#selected.state.status === "closed";
    this.catalogueList.replaceChildren(
      ...catalogueItems(this.#catalogue, {
        t,
        origin,
        disabled,
        onShow: (shown) => this.#show(shown),
      }),
    );
  }

  #renderUploads() {
    const t = this.#t;
    const uploads = this.#selected?.state.uploads ?? [];
    this.uploadsList.replaceChildren(
      ...(uploads.length
        ? uploads.map((item) => h("li", {}, this.#uploadCard(item)))
        : [h("li", { class: "cv-list-empty", text: t("agent.uploads_empty") })]),
    );
  }

  #uploadCard(item) {
    return agentUploadCard(item, {
      t: this.#t,
      origin,
      onShow: (shown) => this.#show(shown),
      onEnlarge: (upload) => this.lightbox.open(upload),
      onOriginal: (upload) => this.#downloadOriginal(upload),
    });
  }

  /**
   * Download the file as the shopper sent it. Its signed URL is only in agents' REST answers and
   * join snapshots (never in pushed events) and expires, so it is asked for afresh each time.
   */
  async #downloadOriginal(item) {
    const session = this.#selected;
    if (!session || !item.mediaId) return;
    this.#hideNotice();
    try {
      const conversation = encodeURIComponent(session.conversationId);
      const media = await this.#api.get(
        `/api/conversations/${conversation}/media/${encodeURIComponent(item.mediaId)}`,
      );
      // The server names it as a variant (`variants.original`); PROTOCOL.md's `original` too.
      const url = media?.variants?.original?.url ?? media?.original?.url;
      if (!url) throw new Error("no original");
      const link = h("a", { href: serverUrl(origin, url), download: media.name || "" });
      document.body.append(link);
      link.click();
      link.remove();
    } catch (error) {
      this.#showNotice(
        error?.code ? errorText(this.#t, error) : this.#t("agent.original_unavailable"),
      );
    }
  }

  /** The skip link: past the conversation lists, straight to the selected conversation. */
  #skipToConversation(event) {
    event.preventDefault();
    if (!WIDE.matches) this.#showPane(this.#selected ? "chat" : "viewer");
    const target = this.#selected ? this.chat.input : this.root.querySelector("#cv-conversation");
    target.focus();
  }

  /**
   * Put a catalogue item or one of the shopper's uploads in the shared viewer: `shown` is
   * `{media_id, variant?}` (viewerMediaForCatalogue / viewerMediaForUpload); the server resolves
   * the id, and its `viewer.show` event (in the ack here, pushed to the others) has the URLs.
   */
  async #show(shown) {
    const session = this.#selected;
    if (!session) return;
    this.#hideNotice();
    const ack = await session.send(Events.VIEWER_SHOW, shown);
    if (!ack?.ok) this.#showNotice(errorText(this.#t, ack?.error));
    else this.#showPane("viewer");
  }

  /** Two presses close the conversation: the first arms the button for a few seconds. */
  async #closeConversation() {
    const session = this.#selected;
    const button = this.closeButton;
    if (!session) return;
    if (button.dataset.armed !== "true") {
      button.dataset.armed = "true";
      button.textContent = this.#t("agent.close_confirm");
      clearTimeout(this.#disarmTimer);
      this.#disarmTimer = setTimeout(() => this.#disarmClose(), CLOSE_ARM_MS);
      return;
    }
    this.#disarmClose();
    try {
      await this.#api.post(
        `/api/conversations/${encodeURIComponent(session.conversationId)}/close`,
      );
    } catch (error) {
      this.#showNotice(errorText(this.#t, error));
    }
  }

  #disarmClose() {
    clearTimeout(this.#disarmTimer);
    delete this.closeButton.dataset.armed;
    this.closeButton.textContent = this.#t("agent.close_conversation");
  }

  /** The agent chose a status (or the idle timer did, `auto`); the server keeps it. */
  async #chooseStatus(status, { auto = false } = {}) {
    this.#autoAway = auto && status === "away";
    this.#showStatus(status);
    try {
      await this.#api.request("PUT", "/api/me/status", { status });
    } catch (error) {
      this.#showNotice(errorText(this.#t, error));
    }
  }

  #showStatus(status) {
    this.#status = status;
    this.statusSelect.value = status;
    this.statusSelect.dataset.status = status;
  }

  /** Away after `away_after` seconds without a key or pointer; back online on activity. */
  #watchActivity() {
    const active = () => {
      clearTimeout(this.#idleTimer);
      if (this.#autoAway) this.#chooseStatus("online");
      this.#idleTimer = setTimeout(() => {
        if (this.#status === "online") this.#chooseStatus("away", { auto: true });
      }, this.#awayAfter * 1000);
    };
    for (const type of ["pointerdown", "keydown", "wheel", "touchstart"]) {
      document.addEventListener(type, active, { passive: true });
    }
    active();
  }

  #toggleSound() {
    this.#alerts.setSound(!this.#alerts.soundOn());
    this.#renderSound();
    if (this.#alerts.soundOn()) this.#alerts.ring();
  }

  #renderSound() {
    const on = this.#alerts.soundOn();
    const label = this.#t(on ? "alerts.sound.on" : "alerts.sound.off");
    this.soundButton.replaceChildren(icon(on ? "bell" : "bell-off"));
    this.soundButton.setAttribute("aria-pressed", String(on));
    this.soundButton.setAttribute("aria-label", this.#t("alerts.sound.label"));
    this.soundButton.title = label;
  }

  async #logOut() {
    try {
      await this.#alerts.unsubscribePush(this.#api);
    } catch {
      // Logging out goes on: the server drops subscriptions it cannot deliver to.
    }
    await logOut(origin, this.#token);
    logout();
  }

  /** A saved reply was picked: its text is in the composer; its product goes in the viewer. */
  #pickedReply(reply) {
    if (reply?.catalogue_media_id) this.#show({ media_id: String(reply.catalogue_media_id) });
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

  async #openPanel(dialog, panel) {
    dialog.showModal();
    try {
      await panel.refresh();
    } catch (error) {
      this.#showNotice(errorText(this.#t, error));
    }
  }

  #buildTransferDialog() {
    const t = this.#t;
    this.transferChoices = h("fieldset", {
      class: "cv-transfer-choices",
      "data-testid": "transfer-choices",
    });
    this.transferNote = h("textarea", {
      id: "cv-transfer-note",
      class: "cv-textarea",
      rows: 3,
      maxlength: this.#limits.max_message_chars,
      "data-testid": "transfer-note",
    });
    const { dialog, error } = formDialog({
      t,
      id: "cv-transfer-title",
      testId: "transfer-dialog",
      title: t("agent.transfer_title"),
      fields: [
        this.transferChoices,
        h("label", { for: "cv-transfer-note", text: t("agent.transfer_note") }),
        this.transferNote,
      ],
      submit: t("agent.transfer"),
      submitTestId: "transfer-submit",
      onSubmit: () => this.#transfer(),
    });
    this.transferError = error;
    return dialog;
  }

  async #openTransfer() {
    const t = this.#t;
    this.transferError.textContent = "";
    this.transferNote.value = "";
    let agents = [];
    try {
      agents = (await this.#api.get("/api/agents")).agents ?? [];
    } catch (error) {
      this.#showNotice(errorText(t, error));
      return;
    }
    const choice = (value, label, detail, checked = false) =>
      h(
        "label",
        { class: "cv-choice" },
        h("input", {
          type: "radio",
          name: "transfer-to",
          value,
          checked,
          "data-testid": "transfer-to",
        }),
        h(
          "span",
          { class: "cv-choice-text" },
          h("strong", { text: label }),
          detail ? h("span", { class: "cv-list-sub", text: detail }) : null,
        ),
      );
    const others = agents.filter((agent) => agent.id !== this.#me.id);
    this.transferChoices.replaceChildren(
      h("legend", { text: t("agent.transfer_to") }),
      ...others.map((agent, index) =>
        choice(
          agent.id,
          agent.name,
          t("agent.agent_load", {
            status: t(`agent.status.${agent.status}`),
            open: agent.open,
            capacity: agent.capacity,
          }),
          index === 0,
        ),
      ),
      choice("", t("agent.back_to_queue"), null, others.length === 0),
    );
    this.transferDialog.showModal();
    this.transferChoices.querySelector("input:checked")?.focus();
  }

  async #transfer() {
    const session = this.#selected;
    if (!session) return;
    const picked = this.transferChoices.querySelector("input:checked")?.value ?? "";
    const note = this.transferNote.value.trim();
    try {
      await this.#api.post(
        `/api/conversations/${encodeURIComponent(session.conversationId)}/transfer`,
        {
          to: picked || null,
          note: note || null,
        },
      );
      this.transferDialog.close();
    } catch (error) {
      this.transferError.textContent = errorText(this.#t, error);
    }
  }

  #buildNoteDialog() {
    const t = this.#t;
    this.noteText = h("textarea", {
      id: "cv-note-text",
      class: "cv-textarea",
      rows: 4,
      required: true,
      maxlength: this.#limits.max_message_chars,
      "data-testid": "note-text",
    });
    const { dialog, error } = formDialog({
      t,
      id: "cv-note-title",
      testId: "note-dialog",
      title: t("agent.note_title"),
      fields: [
        h("p", { class: "cv-list-sub", text: t("agent.note_hint") }),
        h("label", { for: "cv-note-text", text: t("agent.note_label") }),
        this.noteText,
      ],
      submit: t("agent.note_save"),
      submitTestId: "note-submit",
      onSubmit: () => this.#addNote(),
    });
    this.noteError = error;
    return dialog;
  }

  #openNote() {
    this.noteError.textContent = "";
    this.noteText.value = "";
    this.noteDialog.showModal();
    this.noteText.focus();
  }

  async #addNote() {
    const session = this.#selected;
    const text = this.noteText.value;
    if (!session || !text.trim()) return;
    try {
      await this.#api.post(
        `/api/conversations/${encodeURIComponent(session.conversationId)}/notes`,
        { text },
      );
      this.noteDialog.close();
    } catch (error) {
      this.noteError.textContent = errorText(this.#t, error);
    }
  }

  #showPane(pane) {
    this.root.dataset.pane = pane;
    for (const tab of this.tabs)
      tab.setAttribute("aria-selected", String(tab.dataset.pane === pane));
    this.chat.active = pane === "chat" || WIDE.matches;
    if (pane === "chat") this.#markSeen(this.#selected);
    this.#renderActive();
  }

  #showNotice(text) {
    this.notice.textContent = text;
    this.notice.hidden = false;
    clearTimeout(this.#noticeTimer);
    this.#noticeTimer = setTimeout(() => this.#hideNotice(), 8000);
  }

  #hideNotice() {
    this.notice.hidden = true;
  }
}

function logout(message = "") {
  storedToken.clear();
  location.hash = message ? `#${encodeURIComponent(message)}` : "";
  location.reload();
}

async function main() {
  const root = document.getElementById("app");
  const params = new URLSearchParams(location.search);
  const lang = pickLanguage(params.get("lang"), navigator.languages ?? [navigator.language]);
  document.documentElement.lang = lang;
  const [t, config] = await Promise.all([
    loadTranslator(new URL("../locales/", import.meta.url), lang),
    new Api(origin).get(CONFIG_PATH).catch(() => ({})),
  ]);
  const limits = mergeLimits(config);
  document.title = t("agent.page_title");
  const start = (token, me) =>
    (window.covisorConsole = new Console({ t, token, me, root, limits, settings: config }));
  const login = (message) => showLogin({ t, origin, root, message, onLogin: start });
  const message = decodeURIComponent(location.hash.slice(1));
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  const token = storedToken.get();
  if (!token) return login(message);
  try {
    start(token, await identifyAgent(origin, token));
  } catch (error) {
    if (error.code === "offline") return login(t("error.offline"));
    storedToken.clear();
    login(t("agent.token_rejected"));
  }
}

main();
