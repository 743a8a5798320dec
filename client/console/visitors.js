/**
 * The console's live visitors (PROTOCOL.md "Live visitors"): who is on the shop's site now, on
 * which page, how many pages this visit, for how long, new or returning, in a chat or not; an
 * agent invites one with a message. Filled by `GET /api/visitors`, kept current by `visitors`
 * pushes, and a visitor leaves the list `visitor_idle` seconds after its last sign of life
 * (measured on the server's clock: its `now` and the visitors' `last_seen`). Each entry shows
 * the product the visitor looks at and the value of its cart, when the shop's page tells them.
 * "In a chat" lasts while the visitor's conversation is open (`in_chat`, a caller by PIN
 * included), and an identified visitor is named. The agent's own invitation shows on the
 * visitor's entry as shown, then accepted or declined (`invitation` pushes).
 */

import { safePageUrl } from "./lists.js";
import { h } from "../shared/dom.js";
import { formDialog } from "./form-dialog.js";
import { errorText, formatTime } from "../shared/i18n.js";
import { formatPrice } from "../shared/product.js";
import { shopperName, tagDot } from "./shopper-tag.js";

/** Minutes and seconds on the site, as "4 min" or "35 s". */
export function onSiteLabel(t, since, now) {
  const seconds = Math.max(0, Math.round((now - since) / 1000));
  return seconds < 60
    ? t("agent.visitors.seconds", { count: seconds })
    : t("agent.minutes", { count: Math.floor(seconds / 60) });
}

/** The path of a page's URL (`/boots/trail`), to tell pages of one title apart. */
export function pathOf(url) {
  try {
    return new URL(url).pathname;
  } catch {
    return "";
  }
}

/** The live visitors, the most recently active first, without those idle for `idleMs`. */
export function liveVisitors(known, now, idleMs) {
  return [...known.values()]
    .filter((visitor) => now - visitor.last_seen < idleMs)
    .sort((a, b) => b.last_seen - a.last_seen);
}

/** The live visitor in conversation `conversationId`, or null. */
export function visitorOf(live, conversationId) {
  return (conversationId && live.find((v) => v.conversation_id === conversationId)) || null;
}

export class VisitorsList {
  #t;
  #api;
  #products;
  #onChange;
  #known = new Map();
  #offset = 0;
  #idleMs;
  #target = null;
  #take;
  /** The outcome of the agent's last invitation to each visitor: "pending" (shown), … */
  #invited = new Map();
  /** Visitors whose page history is shown, with it. */
  #open = new Map();

  /**
   * @param {object} options
   * @param {Function} options.t
   * @param {object} options.api an `Api` with the agent's token
   * @param {(path: string, body: object) => Promise<object|null>} options.take posts an
   *   invitation, asking first at capacity (capacity.js; null: not sent)
   * @param {EventTarget} options.connection dispatches `visitors` and `invitation` pushes
   * @param {number} options.idleSeconds `visitor_idle` of `GET /api/config`
   * @param {number} options.maxChars of an invitation
   * @param {import("./product-cache.js").ProductCache} [options.products] names the products
   *   visitors look at
   * @param {() => void} [options.onChange] called after the list changed
   */
  constructor({
    t,
    api,
    take,
    connection,
    idleSeconds = 120,
    maxChars = 500,
    products = null,
    onChange = () => {},
  }) {
    this.#t = t;
    this.#api = api;
    this.#take = take;
    connection.addEventListener("visitors", (event) => this.update(event.detail?.visitors));
    connection.addEventListener("invitation", (event) => this.#answered(event.detail));
    this.#products = products;
    this.#onChange = onChange;
    products?.addEventListener("load", () => this.render());
    this.#idleMs = idleSeconds * 1000;
    this.count = h("span", { class: "cv-count", "data-testid": "visitors-count", text: "0" });
    this.list = h("ul", {
      class: "cv-list",
      "data-testid": "visitors-list",
      "aria-labelledby": "cv-visitors-title",
    });
    this.message = h("textarea", {
      id: "cv-invite-message",
      class: "cv-textarea",
      rows: 3,
      required: true,
      maxlength: maxChars,
      "data-testid": "invite-message",
    });
    this.about = h("p", { class: "cv-list-sub", "data-testid": "invite-about" });
    ({ dialog: this.dialog, error: this.error } = formDialog({
      t,
      id: "cv-invite-title",
      testId: "invite-dialog",
      title: t("agent.visitors.invite_title"),
      fields: [
        this.about,
        h("label", { for: "cv-invite-message", text: t("agent.visitors.invite_message") }),
        this.message,
      ],
      submit: t("agent.visitors.invite_send"),
      submitTestId: "invite-send",
      onSubmit: () => this.#invite(),
    }));
    this.render();
  }

  /** The server's time now, by the offset its last answer gave. */
  get now() {
    return Date.now() + this.#offset;
  }

  async refresh() {
    try {
      const answer = await this.#api.get("/api/visitors");
      this.#offset = (answer.now ?? Date.now()) - Date.now();
      this.#known = new Map((answer.visitors ?? []).map((visitor) => [visitor.id, visitor]));
    } catch {
      // The list stays as it was; the next push or refresh fixes it.
    }
    this.render();
  }

  /** The live visitor in conversation `conversationId` (its page, product, cart), or null. */
  conversationVisitor(conversationId) {
    return visitorOf(liveVisitors(this.#known, this.now, this.#idleMs), conversationId);
  }

  /** A `visitors` push: these visitors changed. */
  update(visitors) {
    for (const visitor of visitors ?? []) {
      this.#known.set(visitor.id, visitor);
      this.#offset = Math.max(this.#offset, visitor.last_seen - Date.now());
    }
    this.render();
  }

  render() {
    const t = this.#t;
    const now = this.now;
    const live = liveVisitors(this.#known, now, this.#idleMs);
    for (const [id, visitor] of this.#known) {
      if (now - visitor.last_seen >= this.#idleMs) this.#known.delete(id);
    }
    this.count.textContent = String(live.length);
    this.list.replaceChildren(
      ...(live.length
        ? live.map((visitor) => this.#item(visitor, now))
        : [h("li", { class: "cv-list-empty", text: t("agent.visitors.empty") })]),
    );
    this.#onChange();
  }

  #item(visitor, now) {
    const t = this.#t;
    const title = visitor.page?.title || visitor.page?.url || "";
    const url = safePageUrl(visitor.page);
    const chatting = Boolean(visitor.in_chat);
    const invited = this.#invited.get(visitor.id);
    return h(
      "li",
      { class: "cv-list-item", "data-testid": "visitor-item", dataset: { visitorId: visitor.id } },
      h(
        "div",
        { class: "cv-list-text" },
        h(
          "strong",
          { class: "cv-visitor-name", "data-testid": "visitor-name" },
          // The conversation's colour and code once there is one: the same shopper everywhere.
          tagDot(visitor.conversation_id ?? visitor.id),
          shopperName(t, visitor.name, visitor.conversation_id ?? visitor.id),
        ),
        url
          ? h("a", {
              href: url,
              target: "_blank",
              rel: "noopener noreferrer",
              text: title,
              "data-testid": "visitor-page",
            })
          : h("strong", { text: title, "data-testid": "visitor-page" }),
        h(
          "span",
          { class: "cv-tags" },
          h("span", { class: "cv-tag", text: t(`agent.device.${visitor.device}`) }),
          visitor.language ? h("span", { class: "cv-tag", text: visitor.language }) : null,
          h("span", {
            class: "cv-tag",
            "data-testid": "visitor-kind",
            text: t(visitor.returning ? "agent.visitors.returning" : "agent.visitors.new"),
          }),
          chatting
            ? h("span", {
                class: "cv-tag cv-tag--verified",
                "data-testid": "visitor-chatting",
                text: t("agent.visitors.chatting"),
              })
            : null,
          invited && !chatting
            ? h("span", {
                class: "cv-tag",
                "data-testid": "visitor-invitation",
                dataset: { outcome: invited },
                text: t(`agent.visitors.invitation.${invited}`),
              })
            : null,
          visitor.cart
            ? h("span", {
                class: "cv-tag cv-tag--cart",
                "data-testid": "visitor-cart",
                text: t("agent.visitors.cart", {
                  value: formatPrice(visitor.cart.value, visitor.cart.currency, t.lang),
                }),
              })
            : null,
        ),
        this.#lookingAt(visitor),
        h("button", {
          type: "button",
          class: "cv-link-button cv-list-sub",
          "data-testid": "visitor-pages",
          "aria-expanded": String(this.#open.has(visitor.id)),
          text: t("agent.visitors.pages", {
            count: visitor.pages,
            time: onSiteLabel(t, visitor.since, now),
          }),
          on: { click: () => this.#toggleHistory(visitor.id) },
        }),
        this.#open.has(visitor.id) ? this.#history(visitor.id) : null,
      ),
      h("button", {
        type: "button",
        class: "cv-btn",
        "data-testid": "visitor-invite",
        disabled: chatting,
        text: t("agent.visitors.invite"),
        on: { click: () => this.#openInvite(visitor) },
      }),
    );
  }

  /** "Looking at …" under the page, once the product's card is known. */
  #lookingAt(visitor) {
    const card = visitor.product_id ? this.#products?.peek(visitor.product_id) : null;
    if (!card) return null;
    return h("span", {
      class: "cv-list-sub",
      "data-testid": "visitor-product",
      text: this.#t("agent.visitors.looking_at", { title: card.title }),
    });
  }

  /** The pages of a visitor's current visit, with when it saw each, under its entry. */
  async #toggleHistory(visitorId) {
    if (this.#open.has(visitorId)) {
      this.#open.delete(visitorId);
    } else {
      this.#open.set(visitorId, []);
      try {
        const found = await this.#api.get(`/api/visitors/${encodeURIComponent(visitorId)}`);
        this.#open.set(visitorId, found.history ?? []);
      } catch {
        this.#open.delete(visitorId);
      }
    }
    this.render();
  }

  #history(visitorId) {
    return h(
      "ol",
      { class: "cv-visit-pages", "data-testid": "visitor-history" },
      ...this.#open
        .get(visitorId)
        .map((page) =>
          h(
            "li",
            {},
            h("time", { text: formatTime(this.#t, page.at) }),
            " ",
            page.title || page.url,
            page.title ? h("span", { class: "cv-visit-path", text: ` ${pathOf(page.url)}` }) : null,
          ),
        ),
    );
  }

  #openInvite(visitor) {
    this.#target = visitor;
    this.error.textContent = "";
    this.message.value = this.#t("agent.visitors.invite_default");
    this.about.textContent = visitor.page?.title || visitor.page?.url || "";
    this.dialog.showModal();
    this.message.focus();
    this.message.select();
  }

  async #invite() {
    const visitor = this.#target;
    const message = this.message.value.trim();
    if (!visitor || !message) return;
    try {
      const path = `/api/visitors/${encodeURIComponent(visitor.id)}/invite`;
      const sent = await this.#take(path, { message });
      if (!sent) return;
      this.dialog.close();
      this.#invited.set(visitor.id, sent.outcome);
      this.render();
    } catch (error) {
      this.error.textContent = errorText(this.#t, error);
    }
  }

  /** The visitor answered one of the agent's invitations. */
  #answered(invitation) {
    if (!invitation?.visitor_id) return;
    this.#invited.set(invitation.visitor_id, invitation.outcome);
    this.render();
  }
}
