/**
 * The shopper's chat widget (the `Widget` class). client/widget.js, the module shops embed with
 * one tag, mounts it:
 *
 *   <script type="module" src="https://shop/client/widget.js" data-server="https://shop"
 *           data-lang="de"></script>
 *
 * `data-server` defaults to the script's own origin; `data-lang` overrides the language picked
 * from `<html lang>` and the browser; `data-team`, `data-avatar`, `data-greeting` and
 * `data-reply-minutes` fill the welcome card (docs/CLIENT.md). The widget lives in a shadow root,
 * so the shop's CSS does not leak in and ours does not leak out (`--cv-accent` on
 * `#covisor-widget` recolours it).
 *
 * Opening the panel creates nothing: the conversation (`POST /api/conversations` with the page's
 * url and title) is made on the first message, the first upload or "Show my PIN", so a shopper
 * who only looks, or only types an agent's PIN, leaves no waiting conversation in the agents'
 * queue. Its `{id, token, expires_at}` is kept in localStorage per server, so another tab or a
 * visit next week finds it; the token is renewed (`POST /api/me/token`) once less than half its
 * lifetime is left. A stored conversation is joined at page load even with the panel closed, so
 * unsent messages go out and replies show as an unread badge on the launcher.
 * The server's limits and pre-chat setting (`GET /api/config`) are read once while the language
 * loads.
 *
 * The page talks to it through `window.covisor` (`identify`, `open`, `close`; calls queued by a
 * stub before this script ran are taken over). Around the chat: the pre-chat questions, the
 * shopper's place in the queue while waiting, transfer notices, and the rating card once closed
 * (docs/CLIENT.md "Before and after the conversation").
 */

import { AwayCard, MailCopy } from "./after-hours.js";
import { Api } from "../shared/api.js";
import { ChatView } from "../shared/chat-view.js";
import { Connection } from "../shared/connection.js";
import { ConversationSession } from "../shared/conversation-session.js";
import { Change } from "../shared/conversation-state.js";
import { h, icon } from "../shared/dom.js";
import { InvitationCard } from "./invitation-card.js";
import { errorText } from "../shared/i18n.js";
import { PhonePanel } from "./phone-panel.js";
import { PrechatForm } from "./prechat-form.js";
import { DEFAULT_LIMITS } from "../shared/protocol.js";
import { productMessage } from "../shared/product-message.js";
import { RatingCard } from "./rating-card.js";
import { ShopPage } from "./shop-page.js";
import { UploadTray } from "../shared/upload-tray.js";
import {
  normaliseClaim,
  openBody,
  prechatFields,
  sameClaim,
  withAnswers,
} from "./visitor.js";
import { io } from "../vendor/socket.io.esm.min.js";
import { Viewer } from "../shared/viewer.js";
import { VisitorTracker, conversationPage } from "./visitor-tracker.js";
import { StoredConversation, renewalDue, safeStorage, stamped } from "./store.js";

/** `client/`, where the stylesheets are (the widget may be embedded from another origin). */
const CLIENT_BASE = new URL("../", import.meta.url);
/** How often a page left open checks whether its token is due for renewal. */
const RENEW_CHECK_MS = 3600 * 1000;
const PREVIEW_CHARS = 90;
/** Session changes after which the unread count may differ (not strokes, zoom or video). */
const UNREAD_CHANGES = new Set([Change.TIMELINE, Change.READS, Change.STATUS, "joined"]);
const TITLE_BLINK_MS = 1200;
/** How often a waiting shopper's place in the queue is asked again (`GET …/queue`). */
const QUEUE_REFRESH_MS = 15_000;
/** Sequenced events after which the place in the queue may have changed. */
const QUEUE_EVENTS = new Set([
  "conversation.opened",
  "conversation.accepted",
  "conversation.transferred",
  "conversation.closed",
]);
/** Where an on-screen keyboard would cover the chat and the viewer (the full-screen panel). */
const PHONE_SIZED = window.matchMedia("(pointer: coarse) and (max-width: 600px)");

/** A short two-tone chime with WebAudio (no audio file to fetch); silent where unsupported. */
function chime() {
  try {
    const context = new AudioContext();
    const gain = context.createGain();
    gain.connect(context.destination);
    gain.gain.setValueAtTime(0.0001, context.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.15, context.currentTime + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, context.currentTime + 0.45);
    for (const [frequency, start] of [
      [880, 0],
      [1320, 0.12],
    ]) {
      const tone = context.createOscillator();
      tone.frequency.value = frequency;
      tone.connect(gain);
      tone.start(context.currentTime + start);
      tone.stop(context.currentTime + 0.45);
    }
    setTimeout(() => context.close(), 800);
  } catch {
    // No WebAudio, or the browser wants a user gesture first.
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
  #renewing = null;
  #config;
  /** Highest seq shown to the shopper with the panel open (read, whatever the server knows). */
  #seenSeq = 0;
  /** Seq of a preview the shopper dismissed: it stays away until a newer message. */
  #dismissedSeq = 0;
  #blinkTimer = null;
  #pageTitle = null;
  /** `GET /api/config` → `prechat`: what to ask before the first conversation. */
  #prechat;
  /** `GET /api/config` → `email`: the server sends e-mail (a copy of a closed conversation). */
  #mail = false;
  /** The last `GET …/queue` answer for this conversation, and the timer asking again. */
  #queue = null;
  #queueTimer = null;
  #claiming = null;
  /** The conversation this tab rated (or found rated: `409`), before its event arrives. */
  #ratedId = null;
  /** `customer` or `caller` (from `GET /api/me`); only customers rate. */
  #role = null;
  #sessionListener = (event) => this.#onSessionChange(event.detail);
  /** Live visitors: this page reported, invitations received (visitor-tracker.js). */
  #tracker;
  #shop;
  /** The shop's add-to-cart for a line of the viewer's card or of a product message. */
  #addToCart = (line) => this.#shop.add(line, this.#session);

  /**
   * @param {object} options
   * @param {string} options.origin
   * @param {Function} options.t
   * @param {typeof DEFAULT_LIMITS} [options.limits]
   * @param {{team?: string, avatar?: string, greeting?: string, replyMinutes?: number}} [options.config]
   *   the welcome card (from the script tag's data- attributes); blanks take translated defaults
   * @param {"off"|"name"|"name_email"} [options.prechat] what to ask before the first chat
   */
  constructor({ origin, t, limits = DEFAULT_LIMITS, config = {}, prechat = "off", mail = false }) {
    this.#t = t;
    this.#mail = mail;
    this.#prechat = prechat;
    this.#origin = origin;
    this.#limits = limits;
    this.#config = config;
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
      renderProduct: (item) =>
        productMessage({ t, origin, item, addToCart: this.#shop.canAdd ? this.#addToCart : null }),
      maxMessageChars: limits.max_message_chars,
      shopper: true,
    });
    this.prechatForm = new PrechatForm({ t });
    this.away = new AwayCard({ t, mail });
    this.mailCopy = new MailCopy({ t, send: (email) => this.#mailTranscript(email) });
    this.rating = new RatingCard({ t, send: (rating) => this.#sendRating(rating) });
    this.phone = new PhonePanel({
      t,
      redeem: (pin) => this.#redeemPin(pin),
      issue: () => this.#issuePin(),
      onClose: () => this.#closePhone(),
      pinLength: limits.pin_length,
    });
    // Nothing is read while the panel is closed: replies stay unread for the launcher's badge.
    this.chat.active = false;
    this.invitation = new InvitationCard({
      t,
      team: config.team,
      onAccept: (invitation) => this.#acceptInvitation(invitation),
      onDecline: (invitation) => this.#tracker.decline(invitation.id).catch(() => {}),
    });
    this.#tracker = new VisitorTracker({
      origin,
      api: this.#api,
      io,
      storage: safeStorage("localStorage"),
      page: () => ({ url: location.href, title: document.title, referrer: document.referrer }),
      heartbeatMs: (Number(config.visitorHeartbeat) || 30) * 1000,
    });
    this.#shop = new ShopPage(this.#tracker);
    this.#shop.addEventListener("cart", () => this.#session && this.#shop.sync(this.#session));
    this.#shop.addEventListener("handler", () => this.#offerAddToCart());
    this.#tracker.addEventListener("invitation", (event) => this.#invited(event.detail));
    this.#tracker.addEventListener("reported", () => (this.host.dataset.visitor = "reported"));
    this.#build();
    this.viewer.addEventListener("media", () => this.#layout());
    this.#tracker.start();
  }

  /** An invitation to chat: shown unless a conversation is under way or the panel is open. */
  #invited(invitation) {
    const busy = this.#conversation && this.#session?.state.status !== "closed";
    if (busy || !this.panel.hidden) return;
    this.invitation.show(invitation);
  }

  /** The shopper took the invitation: its conversation (already the agent's) opens. */
  async #acceptInvitation(invitation) {
    this.#setStatus(this.#t("widget.connecting"));
    try {
      const created = await this.#tracker.accept(invitation.id, {
        page: conversationPage(document.title),
        locale: this.#t.lang,
      });
      const conversation = stamped(created);
      this.#store.save(conversation);
      await this.#attach(conversation);
      await this.open();
    } catch (error) {
      this.#showNotice(errorText(this.#t, error));
    }
  }

  /** `covisor.invite(message)`: the shop's own invitation, shown if an agent is available. */
  async invite(message) {
    const answer = await this.#tracker.invite(message);
    return Boolean(answer?.invitation);
  }

  /** `covisor.trigger(name)`: the shop's event, for rules that wait for it. */
  async trigger(name) {
    const answer = await this.#tracker.trigger(name);
    return Boolean(answer?.invitation);
  }

  /** `covisor.trackConversion({value, currency, order_id, items?})`: an order, counted once. */
  async trackConversion(order) {
    return this.#tracker.trackConversion(order);
  }

  /** `covisor.setCart(cart)`: the shopper's cart changed (shop-page.js). */
  setCart(cart) {
    return this.#shop.setCart(cart);
  }

  /** `covisor.setProduct(id)`: the product this page is about, or null. */
  setProduct(id) {
    return this.#shop.setProduct(id);
  }

  /** `covisor.onAddToCart(handler)`: the shop's add-to-cart, offered on products shown. */
  onAddToCart(handler) {
    return this.#shop.onAddToCart(handler);
  }

  /** The viewer's card and the product messages offer "Add to cart" iff the shop has one. */
  #offerAddToCart() {
    this.viewer.product.setAddToCart(this.#shop.canAdd ? this.#addToCart : null);
    this.chat.refreshProducts();
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
    this.badge = h("span", {
      class: "cv-badge",
      "data-testid": "launcher-badge",
      hidden: true,
    });
    this.launcher.append(this.badge);
    this.previewName = h("span", { class: "cv-preview-name" });
    this.previewText = h("span", { class: "cv-preview-text" });
    this.preview = h(
      "div",
      { class: "cv-preview", "data-testid": "launcher-preview", hidden: true },
      h(
        "button",
        {
          type: "button",
          class: "cv-preview-open",
          "data-testid": "launcher-preview-open",
          on: { click: () => this.open() },
        },
        this.previewName,
        this.previewText,
      ),
      h(
        "button",
        {
          type: "button",
          class: "cv-btn cv-icon-btn cv-preview-close",
          "data-testid": "launcher-preview-close",
          "aria-label": t("widget.preview_dismiss"),
          title: t("widget.preview_dismiss"),
          on: { click: () => this.#dismissPreview() },
        },
        icon("close"),
      ),
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
    this.soundToggle = headerButton("sound-toggle", "volume", t("widget.sound"), () =>
      this.#toggleSound(),
    );
    this.soundToggle.setAttribute("aria-pressed", String(this.#store.sound));
    this.chat.form.before(this.tray.element);
    this.welcome = this.#buildWelcome();
    this.queuePlace = h("p", { class: "cv-queue-place", "data-testid": "queue-place" });
    this.queueReply = h("p", { class: "cv-queue-reply", "data-testid": "queue-reply" });
    this.queueBox = h(
      "div",
      { class: "cv-queue", "data-testid": "queue", role: "status", hidden: true },
      this.queuePlace,
      this.queueReply,
    );
    this.body = h(
      "div",
      { class: "cv-body", dataset: { media: "none" } },
      this.viewer.element,
      h(
        "div",
        { class: "cv-chat-col" },
        this.welcome,
        this.queueBox,
        this.away.element,
        this.prechatForm.element,
        this.chat.element,
        this.rating.element,
        this.newChat,
        this.mailCopy.element,
      ),
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
          h("h2", { id: "cv-title", text: this.#config.team || t("widget.title") }),
          this.status,
        ),
        this.soundToggle,
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
    const sheets = ["shared/covisor.css", "shared/product-card.css", "widget/widget.css"].map(
      (name) => h("link", { rel: "stylesheet", href: new URL(name, CLIENT_BASE).href }),
    );
    const frame = h(
      "div",
      { class: "cv-root" },
      this.preview,
      this.invitation.element,
      this.launcher,
      this.panel,
    );
    // Hidden through the CSSOM (a shop's CSP may refuse inline styles, never this) until every
    // sheet is in: an unstyled launcher would sit in the page's flow, then jump when they load.
    frame.style.visibility = "hidden";
    let pending = sheets.length;
    const loaded = () => (pending -= 1) === 0 && frame.style.removeProperty("visibility");
    for (const sheet of sheets) {
      sheet.addEventListener("load", loaded);
      sheet.addEventListener("error", loaded);
    }
    root.append(...sheets, frame);
    document.body.append(this.host);
    this.#layout();
    this.#renderStatus();
    document.addEventListener("visibilitychange", () => this.#onVisibility());
    window.addEventListener("storage", (event) => this.#onStorage(event));
    setInterval(() => this.#renewIfDue(), RENEW_CHECK_MS);
    if (this.#store.wasOpen) this.open();
    else if (this.#store.load()) this.#resume();
  }

  /** Team, avatar, greeting and expected reply time: what the panel says before anyone wrote. */
  #buildWelcome() {
    const t = this.#t;
    const { team, avatar, greeting, replyMinutes } = this.#config;
    const teamName = team || t("widget.team");
    const initials = teamName
      .split(/\s+/)
      .filter(Boolean)
      .slice(0, 2)
      .map((word) => word[0].toUpperCase())
      .join("");
    const picture = avatar
      ? h("img", { class: "cv-avatar", src: avatar, alt: "", "data-testid": "welcome-avatar" })
      : h(
          "span",
          {
            class: "cv-avatar cv-avatar--initials",
            "aria-hidden": "true",
            "data-testid": "welcome-avatar",
            text: team ? initials : "",
          },
          team ? null : icon("chat"),
        );
    const minutes = Number(replyMinutes);
    const configured = Number.isFinite(minutes) && minutes > 0;
    const reply = configured
      ? t("widget.reply_minutes", { minutes: Math.round(minutes) })
      : t("widget.reply_default");
    const replyLine = h("p", {
      class: "cv-welcome-reply",
      "data-testid": "welcome-reply",
      text: reply,
    });
    this.welcomeReply = replyLine;
    if (!configured) this.#estimateReply(replyLine);
    return h(
      "div",
      { class: "cv-welcome", "data-testid": "widget-welcome" },
      picture,
      h(
        "div",
        { class: "cv-welcome-text" },
        h("p", { class: "cv-welcome-team", "data-testid": "welcome-team", text: teamName }),
        h("p", {
          class: "cv-welcome-greeting",
          "data-testid": "welcome-greeting",
          text: greeting || t("widget.greeting"),
        }),
        replyLine,
      ),
    );
  }

  /**
   * The reply time the queue suggests (`GET /api/wait`: the median time to an agent taking a
   * conversation), shown when the shop set none; the default sentence stays if there is none.
   */
  async #estimateReply(line) {
    try {
      const { reply_seconds: seconds } = await this.#api.get("/api/wait");
      if (Number.isFinite(seconds) && seconds >= 0) {
        const minutes = Math.max(1, Math.ceil(seconds / 60));
        line.textContent = this.#t("widget.reply_minutes", { minutes });
        line.dataset.source = "queue";
      }
    } catch {
      // Offline or an older server: the default sentence is true enough.
    }
  }

  toggle() {
    if (this.panel.hidden) this.open();
    else this.close();
  }

  async open() {
    this.invitation.hide();
    this.panel.hidden = false;
    this.launcher.setAttribute("aria-expanded", "true");
    this.launcher.hidden = true;
    this.#store.wasOpen = true;
    this.chat.active = true;
    this.#markSeen();
    this.#focusComposer();
    await this.#resume();
    this.#syncQueue(true);
    await this.#checkAvailability();
  }

  /**
   * Before a conversation exists: is anyone there (`GET /api/availability`)? If not, the panel
   * becomes leave-a-message (after-hours.js); the next conversation is opened `offline`.
   */
  async #checkAvailability() {
    if (this.#session || this.#store.load()) return;
    let answer = null;
    try {
      answer = await this.#api.get("/api/availability");
    } catch {
      return; // an older server, or offline: chat as usual
    }
    if (this.#session || this.#store.load()) return;
    if (answer?.open === false) {
      this.away.show(answer, this.#store.visitor?.claim?.email ?? "");
      this.welcome.hidden = true;
    } else {
      this.away.hide();
      this.#renderStatus();
    }
  }

  /** "E-mail me this conversation": the shopper's copy, sent by the server. */
  async #mailTranscript(email) {
    const conversation = this.#conversation;
    if (!conversation) throw new Error("no conversation");
    const path = `/api/conversations/${encodeURIComponent(conversation.id)}/transcript/email`;
    // The copy's times in the shopper's own zone, named in it.
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    await this.#api.withToken(conversation.token).post(path, { email, tz });
  }

  /**
   * `covisor.identify({name, email, customer_id}, signature)`: who the shop says the shopper
   * is; `signature` is the shop backend's hex HMAC-SHA256 of `customer_id` (PROTOCOL.md "Who the
   * shopper is"). Kept in localStorage and sent with the next conversation opened, or at once
   * (`PUT …/visitor`) to the one under way; the same claim again sends nothing. `null` forgets
   * it (the shopper logged out of the shop). Resolves once sent, or kept.
   */
  async identify(visitor, signature = undefined) {
    if (visitor === null) {
      this.#store.visitor = null;
      return;
    }
    const claim = normaliseClaim(visitor, signature);
    if (!claim) return;
    const known = this.#store.visitor;
    if (!sameClaim(known?.claim, claim)) this.#store.visitor = { claim, sent_to: null };
    await this.#sendClaim();
  }

  /** Send the kept claim to the conversation under way, unless it has it already. */
  #sendClaim() {
    this.#claiming ??= this.#putClaim().finally(() => (this.#claiming = null));
    return this.#claiming;
  }

  async #putClaim() {
    const known = this.#store.visitor;
    const conversation = this.#conversation;
    const session = this.#session;
    if (!known || !conversation || !session || known.sent_to === conversation.id) return;
    // Sent once the join says the conversation is still open (a closed one answers 409).
    if (!session.joined || session.state.status === "closed") return;
    try {
      const path = `/api/conversations/${encodeURIComponent(conversation.id)}/visitor`;
      await this.#api.withToken(conversation.token).put(path, known.claim);
      if (sameClaim(this.#store.visitor?.claim, known.claim)) {
        this.#store.visitor = { claim: known.claim, sent_to: conversation.id };
      }
    } catch {
      // Offline or closed meanwhile: tried again at the next join.
    }
  }

  close() {
    this.panel.hidden = true;
    this.launcher.hidden = false;
    this.launcher.setAttribute("aria-expanded", "false");
    this.#store.wasOpen = false;
    this.chat.active = false;
    this.#renderUnread();
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
  async #ensureConversation({ byPhone = false } = {}) {
    await this.#resume();
    if (this.#session || this.#store.load()) return;
    // A PIN is read out to an agent on the phone, who asks what they need.
    if (!byPhone && !(await this.#prechatAnswered())) return;
    if (this.#session || this.#store.load()) return;
    this.#creating ??= this.#createConversation(byPhone).finally(() => {
      this.#creating = null;
      this.#renderStatus();
    });
    await this.#creating;
  }

  /**
   * The pre-chat step: ask what the shop wants (`prechat`) and `identify` did not give, and keep
   * the answers as the shopper's claim. False when the shopper cancelled.
   */
  async #prechatAnswered() {
    const known = this.#store.visitor?.claim ?? null;
    const fields = prechatFields(this.#prechat, known);
    if (fields.length === 0) return true;
    const answers = await this.prechatForm.ask(fields);
    if (!answers) {
      this.#focusComposer();
      return false;
    }
    const current = this.#store.visitor?.claim ?? known;
    this.#store.visitor = { claim: withAnswers(current, answers), sent_to: null };
    return true;
  }

  /**
   * `byPhone`: opened only to show a phone PIN, so it stays out of the agents' queue until the
   * shopper writes (PROTOCOL.md `POST /api/conversations`).
   */
  async #createConversation(byPhone = false) {
    this.#setStatus(this.#t("widget.connecting"));
    try {
      const claim = this.#store.visitor?.claim ?? null;
      const body = openBody({
        byPhone,
        page: conversationPage(this.#pageTitle ?? document.title),
        locale: this.#t.lang,
        claim,
      });
      if (this.#tracker.token) body.visitor_token = this.#tracker.token;
      const leaving = this.away.active;
      const email = leaving ? this.away.email() : "";
      if (email === null) {
        this.#setStatus(this.#t("widget.status.new"));
        return;
      }
      if (leaving) {
        body.offline = true;
        if (email) body.visitor = { ...(body.visitor ?? {}), email };
      }
      const created = await this.#api.post("/api/conversations", body);
      // Kept with the conversation, so a reload still says how the answer comes.
      const conversation = { ...stamped(created), ...(leaving ? { offline: email || true } : {}) };
      if (leaving) this.away.done(email);
      if (claim) this.#store.visitor = { claim, sent_to: conversation.id };
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
    this.#role = me.role ?? null;
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
    this.viewer.setApi(api);
    this.chat.setSession(session);
    this.tray.setContext(api, session);
    session.open();
    connection.connect();
    this.#seenSeq = 0;
    this.#dismissedSeq = 0;
    this.#renderStatus();
    this.#renewIfDue();
  }

  /**
   * Swap the token for a fresh one for the same conversation once less than half of its lifetime
   * is left (`POST /api/me/token`); the socket uses it from its next reconnect. A failure is
   * tried again at the next check; an expired token ends in `#onUnauthorized` as before.
   */
  #renewIfDue() {
    const current = this.#conversation;
    if (!current || this.#renewing || !renewalDue(current)) return this.#renewing;
    this.#renewing = this.#api
      .withToken(current.token)
      .post("/api/me/token", {})
      .then((answer) => {
        if (this.#conversation !== current || !answer?.token) return;
        const renewed = stamped({ ...current, token: answer.token, expires_at: answer.expires_at });
        this.#conversation = renewed;
        this.#store.save(renewed);
        if (this.#connection) this.#connection.token = renewed.token;
        this.tray.setContext(this.#api.withToken(renewed.token), this.#session);
      })
      .catch(() => {})
      .finally(() => {
        this.#renewing = null;
      });
    return this.#renewing;
  }

  #detach() {
    this.#stopQueue();
    this.#queue = null;
    this.#session?.removeEventListener("change", this.#sessionListener);
    this.#session?.close();
    this.#connection?.close();
    this.#session = null;
    this.#connection = null;
    this.#conversation = null;
    this.viewer.setSession(null);
    this.viewer.setApi(null);
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
    this.rating.reset();
    this.away.hide();
    this.#renderStatus();
    this.#focusComposer();
    this.#checkAvailability();
  }

  /** Focus the message box, except where the keyboard it raises would hide the panel. */
  #focusComposer() {
    if (!PHONE_SIZED.matches) this.chat.focus();
  }

  #onSessionChange({ change, event }) {
    if (change === Change.STATUS || change === "joined" || change === Change.TIMELINE) {
      this.#renderStatus();
    }
    if (event?.type === "chat.message" && event.actor?.id !== this.#session?.selfId) {
      this.#onIncoming();
    }
    if (UNREAD_CHANGES.has(change)) {
      if (!this.panel.hidden && !document.hidden) this.#markSeen();
      this.#renderUnread();
    }
    if (change === Change.STATUS && this.#session?.state.status !== "waiting") {
      this.phone.forgetPin();
    }
    if (change === "error") this.#showNotice(this.#t("widget.join_failed"));
    if (change === "joined") {
      this.#sendClaim();
      this.#shop.sync(this.#session);
    }
    this.#syncQueue(change === "joined" || QUEUE_EVENTS.has(event?.type));
  }

  /**
   * While the conversation waits in the queue, ask for the shopper's place every
   * `QUEUE_REFRESH_MS` (with the panel open in a visible tab) and after events that may move
   * it (`refresh`); stop once an agent has it.
   */
  #syncQueue(refresh = false) {
    const session = this.#session;
    const state = session?.state;
    // A conversation opened for a phone PIN is out of the queue until the shopper writes.
    const wrote = state?.timeline.some(
      (item) =>
        (item.kind === "message" || item.kind === "upload") && item.actor?.id === session.selfId,
    );
    const queued =
      Boolean(state) && state.status === "waiting" && !state.byPhone && wrote && session.joined;
    if (!queued) {
      this.#stopQueue();
      this.#renderQueue();
      return;
    }
    if (!this.#queueTimer) {
      this.#queueTimer = setInterval(() => this.#refreshQueue(), QUEUE_REFRESH_MS);
      refresh = true;
    }
    if (refresh) this.#refreshQueue();
    else this.#renderQueue();
  }

  #stopQueue() {
    if (this.#queueTimer) clearInterval(this.#queueTimer);
    this.#queueTimer = null;
  }

  async #refreshQueue() {
    const conversation = this.#conversation;
    if (!conversation || this.panel.hidden || document.hidden) return;
    try {
      const path = `/api/conversations/${encodeURIComponent(conversation.id)}/queue`;
      const answer = await this.#api.withToken(conversation.token).get(path);
      if (conversation === this.#conversation) this.#queue = answer;
    } catch {
      // Offline: the last place stays until the next try.
    }
    this.#renderQueue();
  }

  /** "You are number 2 in the queue" and the expected reply time, while waiting. */
  #renderQueue() {
    const state = this.#session?.state;
    const place = state?.status === "waiting" && this.#queueTimer ? this.#queue?.place : null;
    // A left message waits for the shop to come back, not in a line: no place to show.
    const left = Boolean(this.#conversation?.offline);
    const show = Number.isSafeInteger(place) && place > 0 && !left;
    this.queueBox.hidden = !show;
    // The queue card says when to expect a reply: the welcome card need not say it twice.
    if (this.welcomeReply) this.welcomeReply.hidden = show;
    if (!show) return;
    const t = this.#t;
    // Unchanged text is not written again: a live region would read it out every 15 s.
    const say = (element, text) => element.textContent !== text && (element.textContent = text);
    say(this.queuePlace, t("widget.queue.place", { place }));
    this.queueBox.dataset.place = String(place);
    const configured = Number(this.#config.replyMinutes);
    const seconds = this.#queue?.reply_seconds;
    let reply = t("widget.reply_default");
    if (Number.isFinite(configured) && configured > 0) {
      reply = t("widget.reply_minutes", { minutes: Math.round(configured) });
    } else if (Number.isFinite(seconds) && seconds >= 0) {
      reply = t("widget.reply_minutes", { minutes: Math.max(1, Math.ceil(seconds / 60)) });
    }
    say(this.queueReply, reply);
  }

  /** `POST …/rating` for this conversation; the answer's event updates the state. */
  async #sendRating(rating) {
    const conversation = this.#conversation;
    const session = this.#session;
    if (!conversation) return;
    try {
      const path = `/api/conversations/${encodeURIComponent(conversation.id)}/rating`;
      const answer = await this.#api.withToken(conversation.token).post(path, rating);
      this.#ratedId = conversation.id;
      if (answer?.event && session === this.#session) session.receive(answer.event);
    } catch (error) {
      // Rated already (another tab): the thanks, not the form.
      if (error?.code === "conflict") this.#ratedId = conversation.id;
      throw error;
    } finally {
      this.#renderStatus();
    }
  }

  #renderStatus() {
    const t = this.#t;
    const state = this.#session?.state;
    if (!state) {
      const busy = this.#resuming || this.#creating;
      this.#setStatus(t(busy ? "widget.connecting" : "widget.status.new"));
      this.newChat.hidden = true;
      this.tray.setEnabled(true);
      this.chat.form.hidden = false;
      this.panel.dataset.status = "new";
      this.welcome.hidden = this.away.active;
      this.mailCopy.render(false);
      this.rating.render("new", null);
      return;
    }
    // A left message waits for the shop to be back, not for an agent to pick it up now.
    const left = this.#conversation?.offline;
    const text = {
      waiting: t(left ? "widget.status.left" : "widget.status.waiting"),
      active: t("widget.status.active", { name: state.agent?.name ?? "" }),
      closed: t("widget.status.closed"),
    }[state.status];
    this.#setStatus(this.#session.joined || state.seq > 0 ? text : t("widget.connecting"));
    this.newChat.hidden = state.status !== "closed";
    this.mailCopy.render(
      this.#mail && state.status === "closed",
      this.#store.visitor?.claim?.email,
    );
    // A left message: the card says how the answer comes until an agent answers here.
    if (left && state.status === "waiting") this.away.done(left === true ? "" : left);
    else if (left) this.away.hide();
    this.tray.setEnabled(state.status !== "closed");
    // Closed: the rating card and "Start a new chat" take the composer's place.
    this.chat.form.hidden = state.status === "closed";
    this.panel.dataset.status = state.status;
    const answered = state.messages.some((message) => message.actor?.id !== this.#session.selfId);
    const unknown = !this.#session.joined && !(state.seq > 0);
    const offline = Boolean(this.#conversation?.offline);
    this.welcome.hidden = unknown || state.status !== "waiting" || answered || offline;
    const rated = state.rating ?? (this.#ratedId === this.#conversation?.id ? {} : null);
    this.rating.render(this.#role === "customer" ? state.status : "hidden", rated);
  }

  /** Messages from others the shopper has not seen: after their read mark and their own last
   * message, and not shown with the panel open. */
  #unread() {
    const session = this.#session;
    if (!session) return [];
    const self = session.selfId;
    let seen = Math.max(session.state.reads?.[self] ?? 0, this.#seenSeq);
    for (const message of session.state.messages) {
      if (message.actor?.id === self) seen = Math.max(seen, message.seq);
    }
    return session.state.messages.filter(
      (message) => message.actor?.id !== self && message.seq > seen,
    );
  }

  /** The panel is open in a visible tab: everything in it counts as seen. */
  #markSeen() {
    const state = this.#session?.state;
    if (state) this.#seenSeq = Math.max(this.#seenSeq, state.seq ?? 0);
    this.#stopBlink();
    this.#renderUnread();
  }

  /** Badge and preview on the launcher while the panel is closed; the title while hidden. */
  #renderUnread() {
    const t = this.#t;
    const unread = this.panel.hidden ? this.#unread() : [];
    const count = unread.length;
    this.badge.hidden = count === 0;
    this.badge.textContent = count > 9 ? "9+" : String(count);
    this.badge.setAttribute("aria-label", t("widget.unread", { count }));
    if (count) {
      this.launcher.setAttribute(
        "aria-label",
        `${t("widget.launcher")}, ${t("widget.unread", { count })}`,
      );
    } else {
      this.launcher.removeAttribute("aria-label");
    }
    const latest = unread.at(-1);
    const showPreview = Boolean(latest) && latest.seq > this.#dismissedSeq;
    this.preview.hidden = !showPreview;
    if (showPreview) {
      // In the shopper's language when the shop's engine translated it for them.
      const translated = latest.translation;
      const mine = translated?.text != null && translated.target === this.#t.lang.split("-")[0];
      const words = mine ? translated.text : latest.text;
      const text =
        words.length > PREVIEW_CHARS ? `${words.slice(0, PREVIEW_CHARS - 1).trimEnd()}…` : words;
      this.previewName.textContent = latest.actor?.name ?? "";
      this.previewText.textContent = text;
      this.preview.dataset.seq = String(latest.seq);
    }
    if (this.#blinkTimer) this.#blinkTitle(false);
  }

  #dismissPreview() {
    this.#dismissedSeq = Number(this.preview.dataset.seq) || 0;
    this.preview.hidden = true;
    this.launcher.focus();
  }

  /** A new message from the agent arrived live. */
  #onIncoming() {
    const unseen = this.panel.hidden || document.hidden;
    if (!unseen) return;
    if (this.#store.sound) chime();
    if (document.hidden) {
      this.#pageTitle ??= document.title;
      if (!this.#blinkTimer) {
        this.#blinkTimer = setInterval(() => this.#blinkTitle(true), TITLE_BLINK_MS);
      }
      this.#blinkTitle(false);
    }
  }

  /** Alternate the page title with "(n) New message" (toggle), or show the latter now. */
  #blinkTitle(toggle) {
    const count = Math.max(1, this.#unreadWhileHidden());
    const alert = this.#t("widget.title_new", { count });
    const showAlert = toggle ? document.title !== alert : true;
    document.title = showAlert ? alert : this.#pageTitle;
  }

  #unreadWhileHidden() {
    if (!this.panel.hidden) {
      const session = this.#session;
      const self = session?.selfId;
      return (session?.state.messages ?? []).filter(
        (message) => message.actor?.id !== self && message.seq > this.#seenSeq,
      ).length;
    }
    return this.#unread().length;
  }

  #stopBlink() {
    if (this.#blinkTimer) clearInterval(this.#blinkTimer);
    this.#blinkTimer = null;
    if (this.#pageTitle !== null) document.title = this.#pageTitle;
    this.#pageTitle = null;
  }

  #onVisibility() {
    if (document.hidden) return;
    this.#stopBlink();
    if (!this.panel.hidden) this.#markSeen();
    this.#renewIfDue();
  }

  /**
   * Another tab of the shop changed the stored conversation: this one follows. A conversation
   * made there is joined here; a renewed token is taken over; a new chat started there after a
   * closed one replaces the closed one here.
   */
  #onStorage(event) {
    if (event.key !== this.#store.key || this.#creating || this.#resuming) return;
    const stored = this.#store.load();
    const current = this.#conversation;
    if (!this.#session) {
      if (stored) this.#resume();
      return;
    }
    if (stored && stored.id === current?.id) {
      if (stored.token !== current.token) {
        this.#conversation = stored;
        if (this.#connection) this.#connection.token = stored.token;
        this.tray.setContext(this.#api.withToken(stored.token), this.#session);
      }
      return;
    }
    if (this.#session.state.status !== "closed") return;
    this.#detach();
    this.#renderStatus();
    if (stored) this.#resume();
  }

  #toggleSound() {
    const on = !this.#store.sound;
    this.#store.sound = on;
    this.soundToggle.setAttribute("aria-pressed", String(on));
    if (on) chime();
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
    // Already talking to an agent (a linked PIN or a taken chat): say so instead of offering a PIN.
    this.phone.setConnected(this.#session?.state.status === "active");
  }

  #closePhone() {
    this.phone.close();
    this.phoneToggle.focus();
  }

  async #redeemPin(pin) {
    const visitor = this.#tracker.token ? { visitor_token: this.#tracker.token } : {};
    const conversation = await this.#api.post("/api/pins/redeem", { pin, ...visitor });
    const target = stamped({
      id: conversation.conversation_id,
      token: conversation.token,
      expires_at: conversation.expires_at,
    });
    await this.#attach(target);
    this.#store.save(target);
    this.#hideNotice();
    this.phone.close();
    this.#focusComposer();
  }

  async #issuePin() {
    await this.#ensureConversation({ byPhone: true });
    if (!this.#conversation) throw new Error("no conversation");
    const api = this.#api.withToken(this.#conversation.token);
    return api.post(`/api/conversations/${encodeURIComponent(this.#conversation.id)}/pins`, {});
  }
}
