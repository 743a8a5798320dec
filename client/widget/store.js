/**
 * What the widget keeps in the browser: the shopper's conversation `{id, token, expires_at,
 * issued_at}` and claim (localStorage, per shop origin and Covisor server, shared by the shop's
 * tabs), whether the panel was open (sessionStorage, per tab) and the sound setting (per shop).
 * Storage that is missing or refuses writes (private mode, quota) never throws: the chat works,
 * only what survives the page is lost.
 */

const EXPIRY_MARGIN_MS = 60_000;
/** A shopper token's lifetime when the stored conversation does not say when it was issued. */
const DEFAULT_TOKEN_LIFETIME_MS = 30 * 24 * 3600 * 1000;

/** Storage that may be missing or refuse writes (private mode, quota): never throws. */
export function safeStorage(kind) {
  try {
    return window[kind] ?? null;
  } catch {
    return null;
  }
}

/**
 * The shopper's conversation with this server, `{id, token, expires_at, issued_at}`, in
 * localStorage (one per shop origin and Covisor server, shared by the shop's tabs); whether the
 * panel was open is per tab (sessionStorage), and the sound setting per shop.
 */
export class StoredConversation {
  constructor(origin) {
    this.key = `covisor:conversation:${origin}`;
    this.openKey = `covisor:open:${origin}`;
    this.soundKey = `covisor:sound:${origin}`;
    this.visitorKey = `covisor:visitor:${origin}`;
    this.local = safeStorage("localStorage");
    this.session = safeStorage("sessionStorage");
  }

  #get(store, key) {
    try {
      return store?.getItem(key) ?? null;
    } catch {
      return null;
    }
  }

  #set(store, key, value) {
    try {
      if (value === null) store?.removeItem(key);
      else store?.setItem(key, value);
    } catch {
      // The chat still works; only what survives the page is lost.
    }
  }

  load() {
    try {
      const value = JSON.parse(this.#get(this.local, this.key) ?? "null");
      if (!value?.id || !value?.token) return null;
      if (Number(value.expires_at) && value.expires_at - EXPIRY_MARGIN_MS < Date.now()) {
        this.clear();
        return null;
      }
      return value;
    } catch {
      return null;
    }
  }

  save(conversation) {
    this.#set(this.local, this.key, JSON.stringify(conversation));
  }

  /** Forget the conversation, and the unsent messages kept for it (they can go nowhere now). */
  clear() {
    let id = null;
    try {
      id = JSON.parse(this.#get(this.local, this.key) ?? "null")?.id ?? null;
    } catch {
      // unreadable: nothing to clean up
    }
    this.#set(this.local, this.key, null);
    if (!id || !this.local) return;
    try {
      const prefix = `covisor:outbox:${id}:`;
      const keys = Array.from({ length: this.local.length }, (_, i) => this.local.key(i));
      for (const key of keys) if (key?.startsWith(prefix)) this.local.removeItem(key);
    } catch {
      // see #set
    }
  }

  get wasOpen() {
    return this.#get(this.session, this.openKey) === "1";
  }

  set wasOpen(value) {
    this.#set(this.session, this.openKey, value ? "1" : "0");
  }

  /**
   * Who the shopper said they are (`covisor.identify`, the pre-chat answers):
   * `{claim, sent_to}`, `sent_to` being the conversation that last got this claim.
   */
  get visitor() {
    try {
      const value = JSON.parse(this.#get(this.local, this.visitorKey) ?? "null");
      return value?.claim ? { claim: value.claim, sent_to: value.sent_to ?? null } : null;
    } catch {
      return null;
    }
  }

  set visitor(value) {
    this.#set(this.local, this.visitorKey, value?.claim ? JSON.stringify(value) : null);
  }

  get sound() {
    return this.#get(this.local, this.soundKey) === "on";
  }

  set sound(value) {
    this.#set(this.local, this.soundKey, value ? "on" : null);
  }
}

/** The conversation as stored: when the token was issued is kept to know its lifetime. */
export function stamped(conversation) {
  return {
    id: conversation.id,
    token: conversation.token,
    expires_at: conversation.expires_at,
    issued_at: Date.now(),
  };
}

/** Whether less than half of the token's lifetime is left. */
export function renewalDue(conversation, now = Date.now()) {
  const expires = Number(conversation?.expires_at);
  if (!expires) return false;
  const issued = Number(conversation.issued_at) || expires - DEFAULT_TOKEN_LIFETIME_MS;
  return expires - now < (expires - issued) / 2;
}
