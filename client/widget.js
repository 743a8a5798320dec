/**
 * The shopper's chat widget, embedded with one tag:
 *
 *   <script type="module" src="https://shop/client/widget.js" data-server="https://shop"
 *           data-lang="de"></script>
 *
 * `data-server` defaults to the script's own origin; `data-lang` overrides the language picked
 * from `<html lang>` and the browser. The widget lives in a shadow root, so the shop's CSS does not
 * leak in and ours does not leak out (`--cv-accent` on `#covisor-widget` recolours it).
 *
 * Opening the panel creates nothing: the conversation (`POST /api/conversations` with the page's
 * url and title) is made on the first message, the first upload or "Show my PIN", so a shopper
 * who only looks, or only types an agent's PIN, leaves no waiting conversation in the agents'
 * queue. Its `{id, token}` is kept in sessionStorage, so a reload in the same tab resumes it.
 * The server's limits (`GET /api/config`) are read once while the language loads.
 */

import { Api } from "./api.js";
import { ChatView } from "./chat-view.js";
import { Connection } from "./connection.js";
import { ConversationSession } from "./conversation-session.js";
import { Change } from "./conversation-state.js";
import { h, icon } from "./dom.js";
import { errorText, loadTranslator, pickLanguage } from "./i18n.js";
import { PhonePanel } from "./phone-panel.js";
import { DEFAULT_LIMITS, loadLimits } from "./protocol.js";
import { UploadTray } from "./upload-tray.js";
import { Viewer } from "./viewer.js";

const CLIENT_BASE = new URL("./", import.meta.url);
const EXPIRY_MARGIN_MS = 60_000;
/** Where an on-screen keyboard would cover the chat and the viewer (the full-screen panel). */
const PHONE_SIZED = window.matchMedia("(pointer: coarse) and (max-width: 600px)");

/** The `<script>` that loaded this module (module scripts have no `document.currentScript`). */
function ownScriptTag() {
  const self = new URL(import.meta.url);
  for (const script of document.querySelectorAll("script[src]")) {
    const url = new URL(script.src, document.baseURI);
    if (url.origin === self.origin && url.pathname === self.pathname) return script;
  }
  return null;
}

/** sessionStorage under one key per server, tolerant of storage being unavailable. */
class StoredConversation {
  constructor(origin) {
    this.key = `covisor:conversation:${origin}`;
    this.openKey = `covisor:open:${origin}`;
  }

  load() {
    try {
      const value = JSON.parse(sessionStorage.getItem(this.key) ?? "null");
      if (!value?.id || !value?.token) return null;
      if (Number(value.expires_at) && value.expires_at - EXPIRY_MARGIN_MS < Date.now()) return null;
      return value;
    } catch {
      return null;
    }
  }

  save(conversation) {
    try {
      sessionStorage.setItem(this.key, JSON.stringify(conversation));
    } catch {
      // Private mode or storage quota: the chat still works, only reload-resume is lost.
    }
  }

  clear() {
    try {
      sessionStorage.removeItem(this.key);
    } catch {
      // see save()
    }
  }

  get wasOpen() {
    try {
      return sessionStorage.getItem(this.openKey) === "1";
    } catch {
      return false;
    }
  }

  set wasOpen(value) {
    try {
      sessionStorage.setItem(this.openKey, value ? "1" : "0");
    } catch {
      // see save()
    }
  }
}

export class Widget {
  #t;
  #origin;
  #api;
  #store;
  #limits;
  #connection = null;
  #session = null;
  #conversation = null;
  #resuming = null;
  #creating = null;
  #sessionListener = (event) => this.#onSessionChange(event.detail);

  /** @param {{origin: string, t: Function, limits?: typeof DEFAULT_LIMITS}} options */
  constructor({ origin, t, limits = DEFAULT_LIMITS }) {
    this.#t = t;
    this.#origin = origin;
    this.#limits = limits;
    this.#api = new Api(origin);
    this.#store = new StoredConversation(origin);
    this.viewer = new Viewer({ t, origin, emptyText: t("viewer.empty_shopper") });
    const start = () => this.#ensureConversation();
    this.tray = new UploadTray({ t, origin, start, limits });
    this.chat = new ChatView({
      t,
      start,
      composerTools: this.tray.tools,
      renderUpload: (item, session) => this.tray.renderUpload(item, session),
      maxMessageChars: limits.max_message_chars,
    });
    this.phone = new PhonePanel({
      t,
      redeem: (pin) => this.#redeemPin(pin),
      issue: () => this.#issuePin(),
      onClose: () => this.#closePhone(),
      pinLength: limits.pin_length,
    });
    this.#build();
    this.viewer.addEventListener("media", () => this.#layout());
  }

  #build() {
    const t = this.#t;
    this.launcher = h(
      "button",
      {
        type: "button",
        class: "cv-launcher",
        "aria-expanded": "false",
        "aria-controls": "cv-panel",
        "data-testid": "widget-launcher",
        on: { click: () => this.toggle() },
      },
      icon("chat"),
      h("span", { text: t("widget.launcher") }),
    );
    this.status = h("p", {
      class: "cv-status",
      "data-testid": "conversation-status",
      role: "status",
    });
    this.banner = h("p", {
      class: "cv-banner",
      "data-testid": "offline-banner",
      role: "status",
      hidden: true,
      text: t("widget.offline"),
    });
    this.notice = h("p", {
      class: "cv-notice",
      "data-testid": "widget-notice",
      role: "alert",
      hidden: true,
    });
    this.newChat = h(
      "div",
      { class: "cv-ended", hidden: true },
      h("button", {
        type: "button",
        class: "cv-btn cv-btn--primary",
        "data-testid": "new-chat",
        text: t("widget.new_chat"),
        on: { click: () => this.#startNew() },
      }),
    );
    const headerButton = (testid, iconName, label, onClick) =>
      h(
        "button",
        {
          type: "button",
          class: "cv-btn cv-icon-btn cv-header-btn",
          "data-testid": testid,
          "aria-label": label,
          title: label,
          on: { click: onClick },
        },
        icon(iconName),
      );
    this.phoneToggle = headerButton("phone-toggle", "phone", t("phone.title"), () =>
      this.#openPhone(),
    );
    this.chat.form.before(this.tray.element);
    this.body = h(
      "div",
      { class: "cv-body", dataset: { media: "none" } },
      this.viewer.element,
      h("div", { class: "cv-chat-col" }, this.chat.element, this.newChat),
    );
    this.panel = h(
      "section",
      {
        class: "cv-panel",
        id: "cv-panel",
        role: "dialog",
        "aria-labelledby": "cv-title",
        "data-testid": "widget-panel",
        hidden: true,
        on: { keydown: (event) => event.key === "Escape" && !this.phone.isOpen && this.close() },
      },
      h(
        "header",
        { class: "cv-header" },
        h(
          "div",
          { class: "cv-title-block" },
          h("h2", { id: "cv-title", text: t("widget.title") }),
          this.status,
        ),
        this.phoneToggle,
        headerButton("widget-close", "close", t("widget.close"), () => this.close()),
      ),
      this.banner,
      this.notice,
      this.body,
      this.phone.element,
    );
    this.host = h("div", { id: "covisor-widget", lang: t.lang });
    const root = this.host.attachShadow({ mode: "open" });
    const sheets = ["covisor.css", "widget.css"].map((name) =>
      h("link", { rel: "stylesheet", href: new URL(name, CLIENT_BASE).href }),
    );
    const frame = h("div", { class: "cv-root", "data-loading": "" }, this.launcher, this.panel);
    let pending = sheets.length;
    const loaded = () => (pending -= 1) === 0 && frame.removeAttribute("data-loading");
    for (const sheet of sheets) {
      sheet.addEventListener("load", loaded);
      sheet.addEventListener("error", loaded);
    }
    root.append(...sheets, frame);
    document.body.append(this.host);
    this.#layout();
    this.#renderStatus();
    if (this.#store.wasOpen) this.open();
  }

  toggle() {
    if (this.panel.hidden) this.open();
    else this.close();
  }

  async open() {
    this.panel.hidden = false;
    this.launcher.setAttribute("aria-expanded", "true");
    this.launcher.hidden = true;
    this.#store.wasOpen = true;
    this.chat.active = true;
    this.#focusComposer();
    await this.#resume();
  }

  close() {
    this.panel.hidden = true;
    this.launcher.hidden = false;
    this.launcher.setAttribute("aria-expanded", "false");
    this.#store.wasOpen = false;
    this.chat.active = false;
    this.launcher.focus();
  }

  /** Reconnect to the conversation this tab already has, if any; never makes a new one. */
  #resume() {
    if (this.#session) return Promise.resolve();
    this.#resuming ??= this.#resumeStored().finally(() => {
      this.#resuming = null;
      this.#renderStatus();
    });
    return this.#resuming;
  }

  async #resumeStored() {
    const conversation = this.#store.load();
    if (!conversation) return;
    this.#setStatus(this.#t("widget.connecting"));
    try {
      const resumed = await this.#attach(conversation).then(
        () => true,
        (error) => this.#unlessUnauthorized(error),
      );
      if (!resumed) this.#store.clear();
    } catch (error) {
      this.#showNotice(errorText(this.#t, error));
    }
  }

  /**
   * The conversation to write into: this tab's, or a new one when it has none (first message,
   * first upload, "Show my PIN"). Failures are shown as a notice; the caller finds no session.
   */
  async #ensureConversation() {
    await this.#resume();
    if (this.#session || this.#store.load()) return;
    this.#creating ??= this.#createConversation().finally(() => {
      this.#creating = null;
      this.#renderStatus();
    });
    await this.#creating;
  }

  async #createConversation() {
    this.#setStatus(this.#t("widget.connecting"));
    try {
      const conversation = await this.#api.post("/api/conversations", {
        page: { url: location.href.slice(0, 500), title: document.title.slice(0, 500) },
        locale: this.#t.lang,
      });
      this.#store.save(conversation);
      await this.#attach(conversation);
      this.#hideNotice();
    } catch (error) {
      this.#showNotice(errorText(this.#t, error));
    }
  }

  #unlessUnauthorized(error) {
    if (
      error?.code === "unauthorized" ||
      error?.code === "forbidden" ||
      error?.code === "not_found"
    )
      return false;
    throw error;
  }

  /** Bind the UI to a conversation `{id, token}`: identify, connect, join. */
  async #attach(conversation) {
    const api = this.#api.withToken(conversation.token);
    const me = await api.get("/api/me");
    this.#detach();
    this.#conversation = conversation;
    const connection = new Connection({ origin: this.#origin, token: conversation.token });
    connection.addEventListener("online", () => (this.banner.hidden = true));
    connection.addEventListener("offline", () => (this.banner.hidden = false));
    connection.addEventListener("unauthorized", () => this.#onUnauthorized());
    const session = new ConversationSession({
      connection,
      conversationId: conversation.id,
      selfId: me.id,
      limits: this.#limits,
    });
    session.addEventListener("change", this.#sessionListener);
    this.#connection = connection;
    this.#session = session;
    this.viewer.setSession(session);
    this.chat.setSession(session);
    this.tray.setContext(api, session);
    session.open();
    connection.connect();
    this.#renderStatus();
  }

  #detach() {
    this.#session?.removeEventListener("change", this.#sessionListener);
    this.#session?.close();
    this.#connection?.close();
    this.#session = null;
    this.#connection = null;
    this.#conversation = null;
    this.viewer.setSession(null);
    this.chat.setSession(null);
    this.tray.setContext(null, null);
  }

  #onUnauthorized() {
    this.#detach();
    this.#store.clear();
    this.#showNotice(this.#t("widget.expired"));
    this.#renderStatus();
  }

  /** After a closed chat: back to an empty one, made when the shopper writes. */
  #startNew() {
    this.#detach();
    this.#store.clear();
    this.#hideNotice();
    this.#renderStatus();
    this.#focusComposer();
  }

  /** Focus the message box, except where the keyboard it raises would hide the panel. */
  #focusComposer() {
    if (!PHONE_SIZED.matches) this.chat.focus();
  }

  #onSessionChange({ change }) {
    if (change === Change.STATUS || change === "joined") this.#renderStatus();
    if (change === Change.STATUS && this.#session?.state.status !== "waiting") {
      this.phone.forgetPin();
    }
    if (change === "error") this.#showNotice(this.#t("widget.join_failed"));
  }

  #renderStatus() {
    const t = this.#t;
    const state = this.#session?.state;
    if (!state) {
      const busy = this.#resuming || this.#creating;
      this.#setStatus(t(busy ? "widget.connecting" : "widget.status.new"));
      this.newChat.hidden = true;
      this.tray.setEnabled(true);
      this.panel.dataset.status = "new";
      return;
    }
    const text = {
      waiting: t("widget.status.waiting"),
      active: t("widget.status.active", { name: state.agent?.name ?? "" }),
      closed: t("widget.status.closed"),
    }[state.status];
    this.#setStatus(this.#session.joined || state.seq > 0 ? text : t("widget.connecting"));
    this.newChat.hidden = state.status !== "closed";
    this.tray.setEnabled(state.status !== "closed");
    this.panel.dataset.status = state.status;
  }

  #setStatus(text) {
    this.status.textContent = text;
  }

  #layout() {
    this.body.dataset.media = this.viewer.hasMedia ? this.viewer.element.dataset.kind : "none";
    this.viewer.element.hidden = !this.viewer.hasMedia;
  }

  #showNotice(text) {
    this.notice.textContent = text;
    this.notice.hidden = false;
  }

  #hideNotice() {
    this.notice.hidden = true;
    this.notice.textContent = "";
  }

  #openPhone() {
    this.phone.open();
  }

  #closePhone() {
    this.phone.close();
    this.phoneToggle.focus();
  }

  async #redeemPin(pin) {
    const conversation = await this.#api.post("/api/pins/redeem", { pin });
    const target = {
      id: conversation.conversation_id,
      token: conversation.token,
      expires_at: conversation.expires_at,
    };
    await this.#attach(target);
    this.#store.save(target);
    this.#hideNotice();
    this.phone.close();
    this.#focusComposer();
  }

  async #issuePin() {
    await this.#ensureConversation();
    if (!this.#conversation) throw new Error("no conversation");
    const api = this.#api.withToken(this.#conversation.token);
    return api.post(`/api/conversations/${encodeURIComponent(this.#conversation.id)}/pins`, {});
  }
}

/**
 * Read the script tag's settings, load the language and the server's limits, and mount the widget
 * (once per page).
 */
async function mount() {
  if (window.covisorWidget) return;
  const script = ownScriptTag();
  const origin = new URL(script?.dataset.server || new URL(import.meta.url).origin).origin;
  const lang = pickLanguage(
    script?.dataset.lang,
    document.documentElement.lang,
    navigator.languages ?? [navigator.language],
  );
  const [t, limits] = await Promise.all([
    loadTranslator(new URL("locales/", CLIENT_BASE), lang),
    loadLimits(new Api(origin)),
  ]);
  window.covisorWidget = new Widget({ origin, t, limits });
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", mount, { once: true });
} else {
  mount();
}
