/**
 * The chat column used by the widget and the console: message list (messages, system notices,
 * uploads), messages still in the outbox, typing indicator, read mark and the composer.
 *
 * Everything a person typed is put in the page as text nodes (`textContent`), never as HTML.
 * The list is keyed by timeline item, so an update touches only what changed and keeps scroll
 * position and focus. Upload items are drawn by the host (`renderUpload`), since the shopper and
 * the agent act on them differently. A host that creates its conversation only when there is
 * something to say (`start`) keeps the composer open without a session.
 *
 * A message the shop's engine translated for the reader (a shopper's for the agent, an agent's
 * for the shopper) shows the translation, the original one click away; the agent also sees what
 * the shopper reads of their own messages, and a message left untranslated with why and a retry.
 *
 * Agents' internal notes are drawn as yellow "Internal note" cards, never like a message; a view
 * for the shopper (`shopper: true`) draws none, should one ever reach it, and words transfers for
 * the shopper ("You are now chatting with Bea") instead of for the team.
 */

import { Change } from "./conversation-state.js";
import { h, icon } from "./dom.js";
import { formatTime, languageName } from "./i18n.js";
import { DEFAULT_LIMITS } from "./protocol.js";

const STICK_TO_BOTTOM_PX = 48;
const HISTORY_PAGE = 50;
/** Consecutive messages of one person at most this far apart form one group. */
export const GROUP_GAP_MS = 5 * 60 * 1000;

/**
 * The names the server gives when none was typed (PROTOCOL.md: a blank `name` is the role's
 * default), shown in the reader's language instead of the server's English.
 */
const DEFAULT_NAMES = {
  Shopper: "chat.name.shopper",
  Caller: "chat.name.caller",
  "Phone caller": "chat.name.phone_caller",
};

/** A person's or conversation's name for display: server defaults translated, blank → fallback. */
export function displayName(t, name, fallback = "chat.name.shopper") {
  const key = DEFAULT_NAMES[name] ?? (name ? null : fallback);
  return key ? t(key) : name;
}

/**
 * Group consecutive chat messages: `messages` are `{actor, at}` in order, with `null` for
 * anything between them (a notice or an upload) that ends a group. Returns, per entry, where it
 * sits in its group: "single", "first", "middle" or "last" (null for the breaks). One person's
 * messages at most `GROUP_GAP_MS` apart make one group, which shows one name and time.
 */
export function groupPositions(messages, gapMs = GROUP_GAP_MS) {
  const joins = (a, b) =>
    Boolean(a && b) && a.actor?.id != null && a.actor.id === b.actor?.id && b.at - a.at <= gapMs;
  return messages.map((message, index) => {
    if (!message) return null;
    const before = joins(messages[index - 1], message);
    const after = joins(message, messages[index + 1]);
    if (before && after) return "middle";
    if (before) return "last";
    if (after) return "first";
    return "single";
  });
}
/**
 * The line a `conversation.transferred` item shows: to the shopper, who they chat with now (or
 * that they wait again); to the team, who handed it to whom.
 */
export function transferText(t, item, shopper) {
  const to = item.data?.to ?? null;
  const toName = to ? displayName(t, to.name ?? "", null) : "";
  if (shopper) {
    return to
      ? t("chat.system.transferred", { name: toName })
      : t("chat.system.transferred_queue");
  }
  const from = displayName(t, item.data?.from?.name ?? item.actor?.name ?? "", null);
  return to
    ? t("chat.system.transferred_to", { from, name: toName })
    : t("chat.system.transferred_back", { from });
}

const RERENDER = new Set([
  Change.TIMELINE,
  Change.STATUS,
  Change.READS,
  "outbox",
  "joined",
  "presence",
]);

/** The key of an add-to-cart outcome's notice. */
function cartNotice(added, error) {
  if (added) return "chat.system.cart_added";
  return error ? "chat.system.cart_failed_reason" : "chat.system.cart_failed";
}

export class ChatView {
  #t;
  #renderUpload;
  #start;
  #starting = false;
  #session = null;
  #listener = (event) => this.#onChange(event.detail);
  #items = new Map();
  #pending = new Map();
  #hasMore = null;
  #active = true;
  #shopper;
  #renderProduct;
  /** Seqs of translated messages the reader switched back to their original words. */
  #originals = new Set();
  #readerLanguage;

  /**
   * @param {object} options
   * @param {Function} options.t translator
   * @param {(item: object, session: object) => Node} options.renderUpload draws an upload item
   * @param {Node[]} [options.composerTools] extra controls shown left of the input (uploads)
   * @param {() => Promise<void>} [options.start] called on sending without a session; it sets
   *   one (`setSession`) or leaves the text in the composer when it cannot
   * @param {number} [options.maxMessageChars] longest message the server takes
   * @param {boolean} [options.shopper] the shopper's view: no notes, transfers told to them
   * @param {(item: object, session: object) => Node} [options.renderProduct] draws a product
   *   the agent sent (product-message.js); without it, its title
   * @param {() => string|null} [options.readerLanguage] the language the reader reads now: a
   *   message is shown translated only into it (an earlier agent's translation is not theirs)
   */
  constructor({
    t,
    renderUpload,
    renderProduct = null,
    composerTools = [],
    start = null,
    maxMessageChars = DEFAULT_LIMITS.max_message_chars,
    shopper = false,
    readerLanguage = () => t.lang,
  }) {
    this.#t = t;
    this.#readerLanguage = readerLanguage;
    this.#shopper = shopper;
    this.#renderUpload = renderUpload;
    this.#renderProduct = renderProduct;
    this.#start = start;
    this.historyButton = h("button", {
      type: "button",
      class: "cv-btn cv-link-btn",
      "data-testid": "load-history",
      text: t("chat.load_earlier"),
      hidden: true,
      on: { click: () => this.#loadHistory() },
    });
    this.list = h("ol", {
      class: "cv-messages",
      "data-testid": "message-list",
      "aria-label": t("chat.messages"),
      "aria-live": "polite",
    });
    this.seenMark = h("span", {
      class: "cv-seen",
      "data-testid": "message-seen",
      text: t("chat.seen"),
    });
    this.typingLine = h("p", {
      class: "cv-typing",
      "data-testid": "typing-indicator",
      "aria-live": "polite",
    });
    this.input = h("textarea", {
      class: "cv-input",
      rows: "1",
      maxlength: String(maxMessageChars),
      "data-testid": "chat-input",
      "aria-label": t("chat.input_label"),
      placeholder: t("chat.placeholder"),
      on: {
        input: () => this.#onInput(),
        keydown: (event) => {
          if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
            event.preventDefault();
            this.#submit();
          }
        },
      },
    });
    this.sendButton = h(
      "button",
      {
        type: "submit",
        class: "cv-btn cv-send",
        "data-testid": "chat-send",
        "aria-label": t("chat.send"),
      },
      icon("send"),
    );
    this.form = h(
      "form",
      {
        class: "cv-composer",
        "data-testid": "chat-form",
        on: {
          submit: (event) => {
            event.preventDefault();
            this.#submit();
          },
        },
      },
      composerTools,
      this.input,
      this.sendButton,
    );
    this.element = h(
      "section",
      { class: "cv-chat", "aria-label": t("chat.label") },
      h("div", { class: "cv-scroll" }, this.historyButton, this.list),
      this.typingLine,
      this.form,
    );
    document.addEventListener("visibilitychange", () => this.#markRead());
  }

  /** Show `session`'s chat (null for none). */
  setSession(session) {
    this.#session?.removeEventListener("change", this.#listener);
    this.#session = session;
    this.#hasMore = null;
    this.#items.clear();
    this.#pending.clear();
    this.list.replaceChildren();
    session?.addEventListener("change", this.#listener);
    this.#render(true);
    this.#renderTyping();
  }

  /** Whether the chat is on screen: read marks are sent only while it is. */
  set active(value) {
    this.#active = value;
    this.#markRead();
  }

  #markRead() {
    if (this.#active && document.visibilityState === "visible") this.#session?.markRead();
  }

  focus() {
    this.input.focus();
  }

  #onChange({ change }) {
    if (RERENDER.has(change)) this.#render(false);
    if (change === "typing" || change === "presence") this.#renderTyping();
  }

  #onInput() {
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(this.input.scrollHeight, 140)}px`;
    if (this.input.value.trim()) this.#session?.typingActivity();
    else this.#session?.stopTyping();
  }

  async #submit() {
    const text = this.input.value.trim();
    if (!text || this.#starting) return;
    if (!this.#session && this.#start) {
      // The text stays on screen, unchangeable, until there is a conversation to send it to.
      this.#starting = true;
      this.input.readOnly = true;
      this.sendButton.disabled = true;
      try {
        await this.#start();
      } finally {
        this.#starting = false;
        this.input.readOnly = false;
        this.#render(false);
      }
    }
    if (!this.#session || this.#session.state.status === "closed") return;
    this.#session.sendChat(text);
    this.input.value = "";
    this.#onInput();
    this.#scrollToBottom();
  }

  /** Draw the messages again: the reader's language changed, and with it which translation
   * is theirs. */
  refreshTranslations() {
    for (const [key, entry] of this.#items) if (key.startsWith("m:")) entry.version = -1;
    this.#render(false);
  }

  /** Draw the sent products again (what they offer changed, e.g. the shop can add to cart). */
  refreshProducts() {
    for (const [key, entry] of this.#items) {
      if (!key.startsWith("p:")) continue;
      entry.element.remove();
      this.#items.delete(key);
    }
    this.#render(false);
  }

  async #loadHistory() {
    this.historyButton.disabled = true;
    this.#hasMore = await this.#session.loadHistory(HISTORY_PAGE);
    this.historyButton.disabled = false;
    this.#render(false);
  }

  #render(jump) {
    const session = this.#session;
    const stick = jump || this.#nearBottom();
    const state = session?.state;
    const keep = new Set();
    let cursor = this.list.firstChild;
    const place = (element) => {
      if (element !== cursor) this.list.insertBefore(element, cursor);
      else cursor = cursor.nextSibling;
    };
    for (const item of state?.timeline ?? []) {
      keep.add(item.key);
      let entry = this.#items.get(item.key);
      if (!entry || entry.version !== item.version) {
        const element = this.#renderItem(item, session);
        if (entry) {
          entry.element.replaceWith(element);
          if (entry.element === cursor) cursor = element;
        }
        entry = { element, version: item.version };
        this.#items.set(item.key, entry);
      }
      place(entry.element);
    }
    for (const [key, entry] of this.#items) {
      if (!keep.has(key)) {
        entry.element.remove();
        this.#items.delete(key);
      }
    }
    this.#markGroups(state?.timeline ?? []);
    this.#renderPending(session);
    // Scrollable with the keyboard once there is something to read; an empty list is no stop.
    if (this.list.childElementCount > 0) this.list.setAttribute("tabindex", "0");
    else this.list.removeAttribute("tabindex");
    this.#placeSeenMark(state, session?.selfId);
    const closed = state?.status === "closed";
    const writable = Boolean(session) || Boolean(this.#start);
    this.input.disabled = closed || !writable;
    this.sendButton.disabled = closed || !writable || this.#starting;
    this.input.placeholder = this.#t(closed ? "chat.closed_placeholder" : "chat.placeholder");
    this.historyButton.hidden =
      !state || state.messages.length < HISTORY_PAGE || this.#hasMore === false;
    if (stick) this.#scrollToBottom();
    this.#markRead();
  }

  /** One name and time per run of one person's messages (`data-group` on each message). */
  #markGroups(timeline) {
    const shown = timeline.filter((item) => !this.#items.get(item.key)?.element.hidden);
    const positions = groupPositions(
      shown.map((item) => (item.kind === "message" ? item : null)),
    );
    shown.forEach((item, index) => {
      const element = this.#items.get(item.key)?.element;
      if (!element || !positions[index]) return;
      if (element.dataset.group !== positions[index]) element.dataset.group = positions[index];
    });
  }

  #renderPending(session) {
    const entries = session?.outbox.entries ?? [];
    const live = new Set(entries.map((entry) => entry.client_id));
    for (const [clientId, entry] of this.#pending) {
      if (!live.has(clientId)) {
        entry.element.remove();
        this.#pending.delete(clientId);
      }
    }
    for (const entry of entries) {
      const status = entry.status === "queued" && !session.online ? "offline" : entry.status;
      let shown = this.#pending.get(entry.client_id);
      if (!shown || shown.status !== status) {
        const element = this.#renderPendingEntry(entry, status, session);
        shown?.element.replaceWith(element);
        shown = { element, status };
        this.#pending.set(entry.client_id, shown);
      }
      this.list.append(shown.element);
    }
  }

  #renderItem(item, session) {
    const t = this.#t;
    if (item.kind === "upload") {
      return h(
        "li",
        { class: "cv-item cv-upload-item", dataset: { seq: String(item.seq) } },
        this.#renderUpload(item, session),
      );
    }
    if (item.kind === "note") return this.#renderNote(item);
    if (item.kind === "product") {
      return h(
        "li",
        { class: "cv-item cv-product-item", dataset: { seq: String(item.seq) } },
        this.#renderProduct?.(item, session) ?? h("p", { text: item.product.title }),
      );
    }
    if (item.kind === "system" && item.type === "cart.added") {
      const { added, title, quantity, error } = item.data;
      return h("li", {
        class: "cv-item cv-system",
        "data-testid": "system-message",
        dataset: { type: added ? "cart-added" : "cart-failed" },
        text: t(cartNotice(added, error), {
          title: title ?? "",
          quantity: quantity ?? 1,
          error: error ?? "",
        }),
      });
    }
    if (item.kind === "system" && item.type === "conversation.transferred") {
      return h("li", {
        class: "cv-item cv-system",
        "data-testid": "system-message",
        dataset: { type: "transferred" },
        text: transferText(t, item, this.#shopper),
      });
    }
    if (item.kind === "system") {
      const key = {
        "conversation.accepted": "chat.system.accepted",
        "conversation.closed": "chat.system.closed",
        "member.joined": "chat.system.joined",
      }[item.type];
      // A caller is not told about their own arrival ("Caller joined by phone").
      if (item.type === "member.joined" && item.data.member?.id === session?.selfId) {
        return h("li", { class: "cv-item cv-system", hidden: true });
      }
      const raw = item.data.agent?.name ?? item.data.member?.name ?? item.actor?.name ?? "";
      return h("li", {
        class: "cv-item cv-system",
        "data-testid": "system-message",
        text: t(key, { name: displayName(t, raw, null) }),
      });
    }
    const mine = item.actor?.id === session.selfId;
    const translation = this.#translationFor(item, mine);
    const original = this.#originals.has(item.seq);
    const forReader = !mine && (this.#shopper || item.actor?.role !== "agent");
    const shown = forReader && translation?.text != null && !original ? translation : null;
    return h(
      "li",
      {
        class: `cv-item cv-msg ${mine ? "cv-msg--mine" : "cv-msg--theirs"}`,
        "data-testid": "message",
        dataset: { seq: String(item.seq), role: item.actor?.role ?? "", mine: String(mine) },
      },
      h("p", {
        class: "cv-bubble",
        lang: shown ? shown.target : (translation?.source ?? null),
        text: shown ? shown.text : item.text,
      }),
      this.#renderTranslation(item, translation, forReader, original, session),
      h(
        "p",
        { class: "cv-meta" },
        mine
          ? null
          : h("span", { class: "cv-author", text: displayName(t, item.actor?.name ?? "", null) }),
        h("time", { datetime: new Date(item.at).toISOString(), text: formatTime(t, item.at) }),
      ),
    );
  }

  /**
   * The translation of `item` this reader cares about: one into the language they read now,
   * of the other side's message (an earlier agent's, into another language, is not theirs),
   * or, for an agent, what the shopper reads of an agent's message; null for none.
   */
  #translationFor(item, mine) {
    const translation = item.translation;
    if (!translation) return null;
    const byAgent = item.actor?.role === "agent";
    const reader = String(this.#readerLanguage() ?? "").split("-")[0].toLowerCase();
    const forMe = translation.target === reader;
    if (this.#shopper) {
      return byAgent && !mine && forMe && translation.text != null ? translation : null;
    }
    return byAgent || forMe ? translation : null;
  }

  #renderTranslation(item, translation, forReader, original, session) {
    if (!translation) return null;
    const t = this.#t;
    const name = (code) => languageName(t.lang, code ?? "");
    if (translation.text == null) {
      if (session.state.status === "closed") return null;
      const reason = ["timeout", "unavailable", "no_pair"].includes(translation.error)
        ? translation.error
        : "unavailable";
      return h(
        "p",
        { class: "cv-translation cv-translation--failed", "data-testid": "translation-failed" },
        h("span", {
          text: t(`chat.translation.failed.${reason}`, {
            source: name(translation.source),
            target: name(translation.target),
          }),
        }),
        h("button", {
          type: "button",
          class: "cv-btn cv-link-btn",
          "data-testid": "translation-retry",
          text: t("chat.translation.retry"),
          on: {
            click: async (event) => {
              event.currentTarget.disabled = true;
              const ack = await session.retryTranslation(item.seq);
              if (!ack?.ok) event.target.disabled = false;
            },
          },
        }),
      );
    }
    if (!forReader) {
      return h(
        "p",
        { class: "cv-translation", "data-testid": "translation-sent" },
        h("span", { text: t("chat.translation.sent", { language: name(translation.target) }) }),
        " ",
        h("span", { lang: translation.target, text: translation.text }),
      );
    }
    return h(
      "p",
      { class: "cv-translation", "data-testid": "translation" },
      h("span", {
        text: t("chat.translation.from", { language: name(translation.source) }),
      }),
      h("button", {
        type: "button",
        class: "cv-btn cv-link-btn",
        "data-testid": "translation-toggle",
        "aria-pressed": String(original),
        text: t(original ? "chat.translation.show_translation" : "chat.translation.show_original"),
        on: {
          click: () => {
            if (original) this.#originals.delete(item.seq);
            else this.#originals.add(item.seq);
            const entry = this.#items.get(item.key);
            if (entry) entry.version = -1;
            this.#render(false);
            const drawn = this.#items.get(item.key)?.element;
            drawn?.querySelector("[data-testid=translation-toggle]")?.focus();
          },
        },
      }),
    );
  }

  /** An agent's internal note: labelled, with its author and time; the shopper never sees it. */
  #renderNote(item) {
    const t = this.#t;
    if (this.#shopper) return h("li", { class: "cv-item", hidden: true });
    return h(
      "li",
      {
        class: "cv-item cv-note",
        "data-testid": "note",
        dataset: { seq: String(item.seq) },
      },
      h("p", { class: "cv-note-label" }, icon("note"), h("span", { text: t("chat.note.label") })),
      h("p", { class: "cv-note-text", text: item.text }),
      h(
        "p",
        { class: "cv-meta" },
        h("span", { class: "cv-author", text: displayName(t, item.actor?.name ?? "", null) }),
        h("span", { class: "cv-note-hidden", text: t("chat.note.hidden") }),
        h("time", { datetime: new Date(item.at).toISOString(), text: formatTime(t, item.at) }),
      ),
    );
  }

  #renderPendingEntry(entry, status, session) {
    const t = this.#t;
    const retry =
      status === "failed"
        ? h(
            "button",
            {
              type: "button",
              class: "cv-btn cv-link-btn",
              "data-testid": "message-retry",
              on: { click: () => session.retryChat(entry.client_id) },
            },
            icon("retry"),
            t("chat.retry"),
          )
        : null;
    return h(
      "li",
      {
        class: `cv-item cv-msg cv-msg--mine cv-msg--pending cv-msg--${status}`,
        "data-testid": "message-pending",
        dataset: { clientId: entry.client_id, status },
      },
      h("p", { class: "cv-bubble", text: entry.text }),
      h("p", { class: "cv-meta" }, h("span", { text: t(`chat.status.${status}`) }), retry),
    );
  }

  #placeSeenMark(state, selfId) {
    const readUpTo = state?.readByOthers() ?? 0;
    let target = null;
    for (const item of state?.timeline ?? []) {
      if (item.kind === "message" && item.actor?.id === selfId && item.seq <= readUpTo)
        target = item;
    }
    const meta = target ? this.#items.get(target.key)?.element.querySelector(".cv-meta") : null;
    if (meta) meta.append(this.seenMark);
    else this.seenMark.remove();
  }

  #renderTyping() {
    const names = [...(this.#session?.typing.values() ?? [])].map((actor) => actor.name);
    this.typingLine.textContent = names.length
      ? this.#t("chat.typing", { name: names.join(", ") })
      : "";
  }

  #nearBottom() {
    const scroller = this.list.parentElement;
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < STICK_TO_BOTTOM_PX;
  }

  #scrollToBottom() {
    const scroller = this.list.parentElement;
    requestAnimationFrame(() => (scroller.scrollTop = scroller.scrollHeight));
  }
}
