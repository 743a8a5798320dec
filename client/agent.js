/**
 * The agent console (`/agent`): log in with an agent token (kept in localStorage), see the
 * waiting queue (`queue` pushes, first filled by `GET /api/conversations?status=waiting`),
 * accept a conversation (`POST …/accept`, then `join`), chat in several conversations at once,
 * put catalogue products or the shopper's uploads in the shared viewer, draw and drive videos
 * with the same viewer as the shopper, and link phone callers with PINs.
 *
 * One Socket.IO connection carries every conversation; each has its own `ConversationSession`.
 * On a phone-sized screen one pane shows at a time, switched by a tab bar. The server's limits
 * (`GET /api/config`) are read once at start, while the language loads.
 */

import {
  activeItems,
  agentUploadCard,
  catalogueItems,
  pageLabel,
  queueItems,
  safePageUrl,
} from "./agent-lists.js";
import { showLogin, identifyAgent, storedToken } from "./agent-login.js";
import { AgentPhoneBox } from "./agent-phone.js";
import { AgentLightbox } from "./agent-lightbox.js";
import { Api, serverUrl } from "./api.js";
import { ChatView, displayName } from "./chat-view.js";
import { Connection } from "./connection.js";
import { ConversationSession } from "./conversation-session.js";
import { Change } from "./conversation-state.js";
import { h, icon } from "./dom.js";
import { errorText, loadTranslator, pickLanguage } from "./i18n.js";
import { DEFAULT_LIMITS, Events, loadLimits } from "./protocol.js";
import { Viewer } from "./viewer.js";

const PANES = ["list", "viewer", "chat", "media"];
const CLOSE_ARM_MS = 4000;
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

  constructor({ t, token, me, root, limits = DEFAULT_LIMITS }) {
    this.#t = t;
    this.#api = new Api(origin, token);
    this.#me = me;
    this.#limits = limits;
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
    this.#connection.addEventListener("online", () => this.#setOnline(true));
    this.#connection.addEventListener("offline", () => this.#setOnline(false));
    this.#connection.addEventListener("unauthorized", () => logout(t("agent.token_rejected")));
    this.#connection.connect();
    this.#loadInitial();
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
        this.connectionState,
        h(
          "button",
          {
            type: "button",
            class: "cv-btn cv-icon-btn",
            "data-testid": "agent-logout",
            "aria-label": t("agent.logout"),
            title: t("agent.logout"),
            on: { click: () => logout() },
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
        section("cv-phone-title", [t("agent.phone")], this.phone.elements),
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
          ),
          this.issueButton,
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
        ),
      ),
      h("div", { class: "cv-pane cv-chat-pane", dataset: { pane: "chat" } }, this.chat.element),
      this.lightbox.element,
    );
    root.replaceChildren(this.root);
    this.chat.active = WIDE.matches;
    WIDE.addEventListener("change", () => this.#showPane(this.root.dataset.pane));
    this.#renderQueue();
    this.#renderActive();
    this.#renderCatalogue();
    this.#renderConversation();
  }

  async #loadInitial() {
    try {
      const [waiting, active] = await Promise.all([
        this.#api.get("/api/conversations?status=waiting"),
        this.#api.get("/api/conversations?status=active"),
      ]);
      this.#setQueue(waiting.conversations ?? []);
      for (const summary of active.conversations ?? []) this.#addSession(summary.id);
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
  }

  #setOnline(online) {
    this.banner.hidden = online;
    this.connectionState.textContent = this.#t(online ? "agent.connected" : "agent.offline_short");
    this.connectionState.dataset.online = String(online);
  }

  #setQueue(conversations) {
    this.#queue = conversations.filter((summary) => !this.#sessions.has(summary.id));
    this.#renderQueue();
  }

  #renderQueue() {
    const t = this.#t;
    this.queueCount.textContent = String(this.#queue.length);
    this.queueList.replaceChildren(
      ...queueItems(this.#queue, { t, onAccept: (id, button) => this.#accept(id, button) }),
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
    const session = this.#sessions.get(conversationId) ?? null;
    this.#selected = session;
    this.viewer.setSession(session);
    this.chat.setSession(session);
    this.#markSeen(session);
    this.#renderActive();
    this.#renderConversation();
    this.#renderCatalogue();
    this.phone.clear();
  }

  #onSessionChange(session, { change, event }) {
    if (event?.type === "member.joined") this.phone.callerJoined(session.conversationId);
    if (session === this.#selected) {
      if ([Change.STATUS, "presence", "joined"].includes(change)) this.#renderConversation();
      if ([Change.TIMELINE, "joined"].includes(change)) this.#renderUploads();
      if (change === Change.STATUS || change === "joined") this.#renderCatalogue();
      if (!document.hidden && this.root.dataset.pane !== "list") this.#markSeen(session);
    }
    if (change === "error") this.#showNotice(this.#t("agent.join_failed"));
    if ([Change.TIMELINE, Change.STATUS, "presence", "joined"].includes(change))
      this.#renderActive();
  }

  #markSeen(session) {
    if (session) this.#seen.set(session.conversationId, session.state.lastIncomingSeq());
  }

  #unread(session) {
    const seen = this.#seen.get(session.conversationId) ?? 0;
    return session.state.messages.filter((m) => m.seq > seen && m.actor?.id !== this.#me.id).length;
  }

  #renderActive() {
    const entries = [...this.#sessions.values()].map((session) => ({
      id: session.conversationId,
      name: session.state.name,
      page: session.state.page,
      status: session.state.status,
      online: session.present.size > 0,
      unread: session === this.#selected ? 0 : this.#unread(session),
    }));
    this.activeList.replaceChildren(
      ...activeItems(entries, this.#selected?.conversationId, {
        t: this.#t,
        onSelect: (id) => {
          this.#select(id);
          this.#showPane("chat");
        },
      }),
    );
    const unread = entries.reduce((sum, entry) => sum + entry.unread, 0);
    this.tabBadge.hidden = unread === 0;
    this.tabBadge.textContent = String(unread);
  }

  #renderConversation() {
    const t = this.#t;
    const session = this.#selected;
    const state = session?.state;
    this.convTitle.textContent = state
      ? displayName(t, state.name)
      : t("agent.no_conversation");
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
    this.#renderUploads();
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
  const [t, limits] = await Promise.all([
    loadTranslator(new URL("locales/", import.meta.url), lang),
    loadLimits(new Api(origin)),
  ]);
  document.title = t("agent.page_title");
  const start = (token, me) =>
    (window.covisorConsole = new Console({ t, token, me, root, limits }));
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
