/**
 * The agent console (`/agent`), which main.js starts once an agent is logged in: see the
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
 *
 * The parts in modules of their own: the history, which opens closed conversations read-only as
 * the same customer's earlier ones and a reload do (history.js), the transcript (transcript.js),
 * the agent's status and connection pill (agent-status.js),
 * their load and the capacity question (capacity.js), the selected conversation's header and
 * its Close step (conversation-header.js), the transfer and note dialogs (transfer-dialog.js, note-dialog.js),
 * the settings panels and their dialogs (panels.js, console/admin/), the PIN box (phone-box.js),
 * list items (lists.js), live visitors (visitors.js), alerts (alerts.js), the composer's
 * saved-reply picker (reply-picker.js), the product search (product-search.js) and what the
 * shopper looks at and has in the cart, above the chat (shopper-panel.js, product-cache.js).
 */

import { Api, serverUrl } from "../shared/api.js";
import { ChatView, displayName } from "../shared/chat-view.js";
import { Connection } from "../shared/connection.js";
import { ConversationSession } from "../shared/conversation-session.js";
import { Change } from "../shared/conversation-state.js";
import { h, icon } from "../shared/dom.js";
import { errorText } from "../shared/i18n.js";
import { productMessage } from "../shared/product-message.js";
import { DEFAULT_LIMITS, Events } from "../shared/protocol.js";
import { Viewer } from "../shared/viewer.js";
import { AgentStatus } from "./agent-status.js";
import { ReadingLanguage } from "./reading-language.js";
import { createAlerts } from "./alerts.js";
import { ConversationHeader } from "./conversation-header.js";
import { Capacity } from "./capacity.js";
import { HistoryView } from "./history.js";
import { AgentLightbox } from "./lightbox.js";
import {
  activeItems,
  agentUploadCard,
  catalogueItems,
  queueItems,
} from "./lists.js";
import { logOut, reloadLoggedOut } from "./login.js";
import { NoteDialog } from "./note-dialog.js";
import { SettingsPanels } from "./panels.js";
import { AgentPhoneBox } from "./phone-box.js";
import { ProductCache } from "./product-cache.js";
import { ProductSearch } from "./product-search.js";
import { attachReplyPicker } from "./reply-picker.js";
import { ShopperPanel } from "./shopper-panel.js";
import { TranscriptDialog } from "./transcript.js";
import { TransferDialog } from "./transfer-dialog.js";
import { VisitorsList } from "./visitors.js";

const PANES = ["list", "viewer", "chat", "media"];
/** Seconds idle before the console sets the agent away, unless the server says otherwise. */
const AWAY_AFTER = 600;
/** This tab's open conversation, kept across reloads (`sessionStorage`). */
const SELECTED_KEY = "covisor:agent-selected";
/** Wide enough for the three-column layout, where the chat is always on screen. */
const WIDE = window.matchMedia("(min-width: 900px)");
const origin = location.origin;

export class Console {
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
  #catalogueUnavailable = false;
  #token;
  #summaries = new Map();
  #replies = [];
  #alerts;
  #queueKnown = null;
  #dropOnLeave = new Set();
  #settings;

  constructor({ t, token, me, root, limits = DEFAULT_LIMITS, settings = {} }) {
    this.#t = t;
    this.#token = token;
    this.#api = new Api(origin, token);
    this.#me = me;
    this.#limits = limits;
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
      renderProduct: (item) => productMessage({ t, origin, item }),
      maxMessageChars: limits.max_message_chars,
      readerLanguage: () => this.readingLanguage?.language ?? null,
    });
    this.#connection = new Connection({ origin, token });
    this.#build(root);
    this.#connection.addEventListener("queue", (event) =>
      this.#setQueue(event.detail?.conversations ?? []),
    );
    this.#connection.addEventListener("assigned", (event) => this.#onAssigned(event.detail));
    this.#connection.addEventListener("online", () => this.#setOnline(true));
    this.#connection.addEventListener("offline", () => this.#setOnline(false));
    this.#connection.addEventListener("unauthorized", () =>
      reloadLoggedOut(t("agent.token_rejected")),
    );
    this.#connection.connect();
    this.#loadInitial();
    this.agentStatus.watchActivity();
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
    this.#buildLists();
    this.#buildTopbar();
    this.capacity = new Capacity({ t, api: this.#api, me: this.#me });
    const take = (path, body) => this.capacity.take(path, body);
    this.phone = new AgentPhoneBox({
      t,
      api: this.#api,
      take,
      onLinked: (conversationId, options) => this.#open(conversationId, options),
      onNotice: (text) => this.#showNotice(text),
      onAction: () => this.#hideNotice(),
      pinLength: this.#limits.pin_length,
    });
    const selectedId = () => this.#selected?.conversationId;
    this.header = new ConversationHeader({
      t,
      api: this.#api,
      settings: this.#settings,
      me: this.#me,
      selected: () => this.#selected,
      onIssuePin: () => {
        this.#hideNotice();
        this.phone.issueFor(selectedId(), this.header.issueSlot);
      },
      onTransfer: () => this.transfer.open(),
      onNote: () => this.note.open(),
      onTranscript: () => this.transcriptDialog.open(),
      onNotice: (text) => this.#showNotice(text),
    });
    const onOpen = (id) => this.#readOnly(id);
    this.history = new HistoryView({ t, api: this.#api, me: this.#me, onOpen });
    this.transcriptDialog = new TranscriptDialog({ t, api: this.#api, conversationId: selectedId });
    this.panels = new SettingsPanels({
      t,
      api: this.#api,
      me: this.#me,
      maxChars: this.#limits.max_message_chars,
      catalogue: () => this.#catalogue,
      onReplies: (replies) => {
        this.#replies = replies;
      },
      onNotice: (text) => this.#showNotice(text),
      mount: (dialog) => this.root.append(dialog),
    });
    this.panels.buttons.prepend(this.history.button);
    this.productCards = new ProductCache({ api: this.#api });
    this.shopper = new ShopperPanel({
      t,
      origin,
      products: this.productCards,
      onShow: (shown) => this.#show(shown),
    });
    this.visitors = new VisitorsList({
      t,
      api: this.#api,
      take,
      connection: this.#connection,
      idleSeconds: Number(this.#settings.visitor_idle) || 120,
      products: this.productCards,
      onChange: () => this.#renderShopper(),
    });
    const maxChars = this.#limits.max_message_chars;
    this.transfer = new TransferDialog({
      t,
      api: this.#api,
      me: this.#me,
      maxChars,
      conversationId: selectedId,
      onNotice: (text) => this.#showNotice(text),
    });
    this.note = new NoteDialog({ t, api: this.#api, maxChars, conversationId: selectedId });
    this.products = new ProductSearch({
      t,
      api: this.#api,
      origin,
      onShow: (shown) => this.#show(shown),
      onSend: (sent) => this.#sendProduct(sent),
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
    this.root = this.#layout();
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

  /** The lists the console fills: queue, conversations, catalogue, uploads. */
  #buildLists() {
    const list = (tag, className, testid, labelledBy) =>
      h(tag, { class: className, "data-testid": testid, "aria-labelledby": labelledBy });
    this.queueList = list("ul", "cv-list", "queue-list", "cv-queue-title");
    this.queueCount = h("span", { class: "cv-count", "data-testid": "queue-count", text: "0" });
    this.activeList = list("ul", "cv-list", "active-list", "cv-active-title");
    this.catalogueList = list("ul", "cv-tiles", "catalogue-list", "cv-catalogue-title");
    this.uploadsList = list("ul", "cv-uploads", "uploads-list", "cv-uploads-title");
  }

  /** The top bar's controls (status, connection, sound) and the lines under it. */
  #buildTopbar() {
    const t = this.#t;
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
    const awayAfter = Number(this.#settings.away_after);
    this.agentStatus = new AgentStatus({
      t,
      api: this.#api,
      me: this.#me,
      awayAfter: awayAfter > 0 ? awayAfter : AWAY_AFTER,
      onNotice: (text) => this.#showNotice(text),
    });
    this.readingLanguage = new ReadingLanguage({
      t,
      api: this.#api,
      me: this.#me,
      onNotice: (text) => this.#showNotice(text),
      onChange: () => this.chat.refreshTranslations(),
    });
    this.soundButton = h("button", {
      type: "button",
      class: "cv-btn cv-icon-btn",
      "data-testid": "sound-toggle",
      on: { click: () => this.#toggleSound() },
    });
    this.#renderSound();
  }

  /** The console's page: top bar, tabs, side column, conversation, chat, and the dialogs. */
  #layout() {
    const t = this.#t;
    const section = (id, title, ...content) =>
      h(
        "section",
        { class: "cv-section" },
        h("h2", { id, class: "cv-section-title" }, ...title),
        ...content,
      );
    return h(
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
        this.capacity.element,
        this.agentStatus.select,
        this.readingLanguage.element,
        this.agentStatus.connection,
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
        this.panels.buttons,
      ),
      h(
        "main",
        { class: "cv-main", id: "cv-conversation", tabindex: "-1" },
        this.header.element,
        h(
          "div",
          { class: "cv-pane cv-viewer-pane", dataset: { pane: "viewer" } },
          this.viewer.element,
        ),
        h(
          "div",
          { class: "cv-pane cv-media-pane", dataset: { pane: "media" } },
          section(
            "cv-catalogue-title",
            [t("agent.catalogue")],
            this.products.element,
            h("h3", { class: "cv-subtitle", text: t("product.search.pictures") }),
            this.catalogueList,
          ),
          section("cv-uploads-title", [t("agent.uploads")], this.uploadsList),
          section("cv-earlier-title", [t("agent.earlier")], this.history.earlierList),
        ),
      ),
      h(
        "div",
        { class: "cv-pane cv-chat-pane", dataset: { pane: "chat" } },
        this.shopper.element,
        this.chat.element,
      ),
      this.lightbox.element,
      this.transfer.element,
      this.note.element,
      this.visitors.dialog,
      this.capacity.dialog,
      this.history.dialog,
      this.transcriptDialog.element,
      ...this.panels.dialogs,
    );
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
      // A reload reopens the conversation this tab had open (read-only once closed), else the first.
      const kept = sessionStorage.getItem(SELECTED_KEY);
      if (kept && !this.#sessions.has(kept)) this.#addSession(kept, { readOnly: true });
      const first = this.#sessions.has(kept) ? kept : this.#sessions.keys().next().value;
      if (!this.#selected && first) this.#select(first);
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
    await Promise.all([
      this.#loadReplies(),
      this.agentStatus.load(),
      this.readingLanguage.load(),
      this.visitors.refresh(),
      this.products.start(),
    ]);
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

  #setOnline(online) {
    this.banner.hidden = online;
    this.agentStatus.setOnline(online);
  }

  #setQueue(conversations) {
    this.#queue = conversations.filter((summary) => !this.#sessions.has(summary.id));
    const ids = new Set(this.#queue.map((summary) => summary.id));
    const fresh = this.#queueKnown ? this.#queue.filter((s) => !this.#queueKnown.has(s.id)) : [];
    this.#queueKnown = ids;
    if (fresh.length > 0 && this.agentStatus.status !== "offline") {
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
      const path = `/api/conversations/${encodeURIComponent(conversationId)}/accept`;
      if (await this.capacity.take(path)) this.#open(conversationId);
      else button.disabled = false;
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

  /** A closed conversation (the history, earlier ones), kept until the agent looks elsewhere. */
  #readOnly(conversationId) {
    this.#addSession(conversationId, { readOnly: true });
    this.#open(conversationId);
  }

  #addSession(conversationId, { readOnly = false } = {}) {
    if (this.#sessions.has(conversationId)) return this.#sessions.get(conversationId);
    if (readOnly) this.#dropOnLeave.add(conversationId);
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
    this.header.disarmClose();
    this.#hideNotice();
    const leaving = this.#selected?.conversationId;
    if (leaving && leaving !== conversationId && this.#dropOnLeave.has(leaving)) {
      this.#dropSession(leaving);
    }
    const session = this.#sessions.get(conversationId) ?? null;
    this.#selected = session;
    if (session) sessionStorage.setItem(SELECTED_KEY, conversationId);
    this.viewer.setSession(session);
    this.chat.setSession(session);
    this.#markSeen(session);
    this.#renderActive();
    this.#renderConversation();
    this.#renderCatalogue();
    this.#renderShopper();
    this.history.showEarlier(session?.conversationId, () => this.#selected === session);
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
        this.#renderShopper();
      }
    }
    this.#renderActive();
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
      if ([Change.CART, Change.STATUS, "joined"].includes(change)) this.#renderShopper();
      if (!document.hidden && this.root.dataset.pane !== "list") this.#markSeen(session);
    }
    if (change === "error") this.#showNotice(this.#t("agent.join_failed"));
    if (change === "error" && this.#dropOnLeave.has(session.conversationId))
      return this.#dropSession(session.conversationId);
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
    this.capacity.sync(entries.filter((entry) => entry.status !== "closed").length);
    const unread = entries.reduce((sum, entry) => sum + entry.unread, 0);
    this.tabBadge.hidden = unread === 0;
    this.tabBadge.textContent = unread ? String(unread) : "";
    this.#alerts.setUnread(unread + this.#queue.length);
  }

  #renderConversation() {
    const session = this.#selected;
    this.header.render(session, this.#summaries.get(session?.conversationId));
    this.#renderUploads();
  }

  #renderCatalogue() {
    const t = this.#t;
    const disabled = !this.#selected || this.#selected.state.status === "closed";
    this.products.setEnabled(!disabled);
    if (this.#catalogueUnavailable) {
      this.catalogueList.replaceChildren(
        h("li", { class: "cv-list-empty", text: t("agent.catalogue_unavailable") }),
      );
      return;
    }
    this.catalogueList.replaceChildren(
      ...catalogueItems(this.#catalogue, {
        t,
        origin,
        disabled,
        onShow: (shown) => this.#show(shown),
      }),
    );
  }

  /** The open conversation's shopper: the product looked at (live visitors) and the cart. */
  #renderShopper() {
    const session = this.#selected;
    if (!this.visitors) return; // the visitors list's first render, in its own constructor
    this.shopper.render({
      conversationId: session?.conversationId ?? null,
      cart: session?.state.cart ?? null,
      productId: this.visitors.conversationVisitor(session?.conversationId)?.product_id ?? null,
      enabled: Boolean(session) && session.state.status !== "closed",
    });
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
   * Put a catalogue item, a product or one of the shopper's uploads in the shared viewer:
   * `shown` is `{media_id, variant?}` (viewerMediaForCatalogue / viewerMediaForUpload) or
   * `{product_id, variant_id}` (product search); the server resolves the ids, and its
   * `viewer.show` event (in the ack here, pushed to the others) has the URLs.
   */
  #show(shown) {
    return this.#sendAndShow(Events.VIEWER_SHOW, shown, "viewer");
  }

  /**
   * Send a product into the chat as a card the shopper can open and add to the cart
   * (`product.send {product_id, variant_id}`); the agent then sees it in the chat.
   */
  #sendProduct(sent) {
    return this.#sendAndShow(Events.PRODUCT_SEND, sent, "chat");
  }

  /** Send `event` in the open conversation, then show `pane`, or say why the server refused. */
  async #sendAndShow(event, payload, pane) {
    const session = this.#selected;
    if (!session) return;
    this.#hideNotice();
    const ack = await session.send(event, payload);
    if (!ack?.ok) this.#showNotice(errorText(this.#t, ack?.error));
    else this.#showPane(pane);
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
    reloadLoggedOut();
  }

  /** A saved reply was picked: its text is in the composer; its product goes in the viewer. */
  #pickedReply(reply) {
    if (reply?.catalogue_media_id) this.#show({ media_id: String(reply.catalogue_media_id) });
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
    if (!text) return this.#hideNotice();
    this.notice.textContent = text;
    this.notice.hidden = false;
    clearTimeout(this.#noticeTimer);
    this.#noticeTimer = setTimeout(() => this.#hideNotice(), 8000);
  }

  #hideNotice() {
    this.notice.hidden = true;
  }
}
