/**
 * The widget's side of live visitors (PROTOCOL.md "Live visitors", "Proactive invitations",
 * "Conversions"): a visitor credential kept in the shop origin's localStorage, one Socket.IO
 * connection per page as role `visitor` bringing the page in its `auth` (no event of its own:
 * the server takes the page as the connection opens) and a heartbeat, invitations pushed to it,
 * and the shop's `covisor.trigger`, `covisor.invite` and `covisor.trackConversion`.
 *
 * Nothing personal is sent: the page's URL and the referrer without their query string or
 * fragment (they often carry e-mail addresses, order numbers or tokens), the title. Browser APIs
 * come in through the constructor, so node's tests hand it fakes.
 *
 * Events: `invitation` (detail: the invitation; the same one may come twice, in an answer and
 * as a push), `reported` (the server took this page).
 */

import { Events } from "../shared/protocol.js";

/** Renew the credential when less than this part of its life is left. */
const RENEW_FRACTION = 0.5;

/**
 * `url` without query or fragment, if it is an http(s) URL; else null.
 * @param {string} url
 */
export function pagePart(url) {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return null;
    return `${parsed.origin}${parsed.pathname}`.slice(0, 2000);
  } catch {
    return null;
  }
}

/**
 * The page a conversation is opened from, cut to 500 characters each: its URL only on an http(s)
 * page (a `file:` page has none the server takes, PROTOCOL.md), and its title.
 */
export function conversationPage(title, href = location.href) {
  const page = { title: String(title ?? "").slice(0, 500) };
  if (/^https?:\/\//i.test(href)) page.url = href.slice(0, 500);
  return page;
}

/** The stored credential if it is still good for a while at `now` (ms), else null. */
export function usableCredential(stored, now) {
  if (!stored?.id || !stored?.token || !(stored.expires_at > now)) return null;
  const issued = Number.isFinite(stored.issued_at) ? stored.issued_at : now;
  const life = stored.expires_at - issued;
  return stored.expires_at - now > life * RENEW_FRACTION ? stored : null;
}

/**
 * The order's items as `POST /api/conversions` takes them: each item as the shop gave it, but
 * with a numeric `product_id` or `variant_id` as text (`123` → `"123"`). Anything else, and
 * anything that is not a list of objects, goes as it is, for the server to accept or refuse.
 */
export function conversionItems(items) {
  if (!Array.isArray(items)) return items;
  const text = (id) => (typeof id === "number" ? String(id) : id);
  return items.map((item) => {
    if (item === null || typeof item !== "object") return item;
    const sent = { ...item, product_id: text(item.product_id) };
    if ("variant_id" in item) sent.variant_id = text(item.variant_id);
    return sent;
  });
}

export class VisitorTracker extends EventTarget {
  #api;
  #io;
  #storage;
  #key;
  #now;
  #page;
  #heartbeatMs;
  #timers;
  #socket = null;
  #heartbeat = null;
  #credential = null;
  /** As Connection's: engine.io-client's own offline listener may skip this socket. */
  #browserOffline = () => this.#socket?.io?.engine?.close();
  /** What the shop's page told (`visitor.shop`), sent again after each page report. */
  #told = null;
  /** Whether the last connection brought the page (see `#handshake`). */
  #brought = false;
  /** The server refused the page this widget sends: connect without it (invitations still come). */
  #pageRefused = false;

  /**
   * @param {object} options
   * @param {string} options.origin the Covisor server
   * @param {object} options.api an `Api` without a token (api.js)
   * @param {Function} options.io socket.io-client's `io`
   * @param {Storage|null} options.storage the shop origin's localStorage (null: not kept)
   * @param {() => {url: string, title: string, referrer: string}} options.page the page now
   * @param {number} options.heartbeatMs between `visitor.ping`s
   * @param {() => number} [options.now]
   * @param {{setInterval: Function, clearInterval: Function}} [options.timers]
   */
  constructor({
    origin,
    api,
    io,
    storage,
    page,
    heartbeatMs,
    now = Date.now,
    timers = globalThis,
  }) {
    super();
    this.origin = origin;
    this.#api = api;
    this.#io = io;
    this.#storage = storage;
    this.#key = `covisor:visitor-id:${origin}`;
    this.#page = page;
    this.#heartbeatMs = heartbeatMs;
    this.#now = now;
    this.#timers = timers;
  }

  /** The visitor credential (for `POST /api/conversations`'s `visitor_token`), if any yet. */
  get token() {
    return this.#credential?.token ?? null;
  }

  /** Get a credential and report this page; never rejects (tracking is never in the way). */
  async start() {
    try {
      this.#credential = await this.#obtain();
    } catch {
      return false;
    }
    this.#connect();
    return true;
  }

  stop() {
    globalThis.removeEventListener?.("offline", this.#browserOffline);
    this.#timers.clearInterval(this.#heartbeat);
    this.#heartbeat = null;
    this.#socket?.disconnect();
    this.#socket = null;
  }

  /**
   * What the shop's page tells of its visitor: the product the page is about (null: none)
   * and the cart (`{items, total, currency}`, or null when it told none). Agents see them in
   * the live visitors list. Never rejects; sent again on each reconnect.
   */
  tell({ productId = null, cart = null }) {
    this.#told = cart ? { product_id: productId, cart } : { product_id: productId };
    return this.#call(Events.VISITOR_SHOP, this.#told);
  }

  /** `covisor.trigger(name)`: rules waiting for this trigger may invite the visitor. */
  trigger(name) {
    return this.#call(Events.VISITOR_TRIGGER, { name: String(name) });
  }

  /** `covisor.invite(message)`: the shop's own invitation (if an agent is available). */
  invite(message) {
    return this.#call(Events.VISITOR_INVITE, { message: String(message).slice(0, 500) });
  }

  /**
   * `covisor.trackConversion({value, currency, order_id, items})`: the order, counted once.
   * `items` (optional): `[{product_id, variant_id?, quantity, price}]`, passed on as given but
   * for the ids, sent as text (shops often number their products). Resolves to the server's
   * answer; rejects with an `ApiError` (a bad item refuses the whole order).
   */
  async trackConversion({ value, currency, order_id: orderId, items }) {
    await this.#ready();
    const body = { value, currency, order_id: String(orderId) };
    if (items !== undefined) body.items = conversionItems(items);
    return this.#api.withToken(this.token).post("/api/conversions", body);
  }

  /** Accept an invitation: `{id, token, expires_at}` of the conversation it opened. */
  async accept(invitationId, body) {
    await this.#ready();
    const path = `/api/invitations/${encodeURIComponent(invitationId)}/accept`;
    return this.#api.withToken(this.token).post(path, body);
  }

  async decline(invitationId) {
    await this.#ready();
    const path = `/api/invitations/${encodeURIComponent(invitationId)}/decline`;
    return this.#api.withToken(this.token).post(path);
  }

  async #ready() {
    this.#credential ??= await this.#obtain();
  }

  async #obtain() {
    const stored = this.#read();
    const good = usableCredential(stored, this.#now());
    if (good) return good;
    const answer = await this.#api.post(
      "/api/visitors",
      stored?.token ? { token: stored.token } : {},
    );
    const credential = { ...answer, issued_at: this.#now() };
    this.#write(credential);
    return credential;
  }

  #connect() {
    const socket = this.#io(this.origin, {
      // A function: socket.io-client asks it again on each reconnection, which reports the page.
      auth: (send) => send(this.#handshake()),
      transports: ["websocket"],
      reconnectionDelay: 2000,
      reconnectionDelayMax: 30_000,
    });
    this.#socket = socket;
    globalThis.addEventListener?.("offline", this.#browserOffline);
    socket.on("connect", () => this.#connected());
    socket.on(Events.INVITATION, (invitation) =>
      this.dispatchEvent(new CustomEvent("invitation", { detail: invitation })),
    );
    socket.on("connect_error", (error) => {
      if (error?.data?.code === "unauthorized") {
        this.#write(null);
        this.stop();
      } else if (error?.data?.code === "bad_request" && this.#brought) {
        this.#pageRefused = true;
        socket.connect();
      }
    });
    this.#timers.clearInterval(this.#heartbeat);
    this.#heartbeat = this.#timers.setInterval(() => {
      if (socket.connected) socket.emit(Events.VISITOR_PING, {}, () => {});
    }, this.#heartbeatMs);
  }

  /**
   * The connection's `auth`: the credential and the page (as `visitor.page` takes it) unless it
   * has none the server takes (a `file:` page) or the server refused it.
   */
  #handshake() {
    const auth = { token: this.#credential.token };
    const { url, title, referrer } = this.#page();
    const page = this.#pageRefused ? null : pagePart(url);
    if (page) {
      auth.page = { url: page, title: String(title ?? "").slice(0, 500) };
      const from = referrer ? pagePart(referrer) : null;
      if (from) auth.page.referrer = from;
    }
    this.#brought = Boolean(page);
    return auth;
  }

  /** The server took the page the connection brought (an invitation its rules send is pushed). */
  #connected() {
    if (!this.#brought) return;
    if (this.#told) this.#socket.emit(Events.VISITOR_SHOP, this.#told, () => {});
    this.dispatchEvent(new Event("reported"));
  }

  #call(event, payload) {
    return new Promise((resolve) => {
      if (!this.#socket?.connected) {
        resolve({ ok: false, error: { code: "offline", message: "not connected" } });
        return;
      }
      this.#socket.timeout(10_000).emit(event, payload, (error, ack) => {
        resolve(error ? { ok: false, error: { code: "timeout", message: "no answer" } } : ack);
      });
    });
  }

  #read() {
    try {
      return JSON.parse(this.#storage?.getItem(this.#key) ?? "null");
    } catch {
      return null;
    }
  }

  #write(credential) {
    try {
      if (credential) this.#storage?.setItem(this.#key, JSON.stringify(credential));
      else this.#storage?.removeItem(this.#key);
    } catch {
      // Private mode without storage: the visitor is new on each page, nothing breaks.
    }
  }
}
