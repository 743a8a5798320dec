/**
 * Saved replies in the agent's composer: typing `/` and a few letters at the start of the
 * message opens a list of the agent's replies (GET /api/replies) that match; picking one puts
 * its text, with `{name}` and `{agent}` filled in, into the composer.
 *
 * The logic is DOM-free and tested in node: `expandReply`, `matchReplies`, `replyQuery` and
 * `ReplyPicker` (the picker's state: what is shown, which option is active, what a key does).
 * `attachReplyPicker` draws that state as an ARIA combobox over the composer's textarea.
 */

/** At most this many replies are offered at once. */
export const MAX_MATCHES = 8;

/**
 * The names the server gives a shopper who typed none (PROTOCOL.md): a greeting with them
 * ("Hi Shopper") reads worse than the neutral fallback ("Hi there").
 */
const DEFAULT_NAMES = new Set(["Shopper", "Caller", "Phone caller"]);

/**
 * `text` with `{name}` (the shopper's name; the translated neutral fallback `replies.name_fallback`
 * when there is none or only the server's default) and `{agent}` (the agent's name) filled in, in
 * one pass: a name that itself contains `{agent}` is not expanded again. Other `{placeholders}`,
 * and `{agent}` when the agent's name is blank, stay as they are, for the agent to see.
 */
export function expandReply(text, { name, agent } = {}, t = null) {
  const shopper = String(name ?? "").trim();
  const values = {
    name: shopper && !DEFAULT_NAMES.has(shopper) ? shopper : fallbackName(t),
  };
  const agentName = String(agent ?? "").trim();
  if (agentName) values.agent = agentName;
  return String(text).replace(/\{(\w+)\}/g, (whole, key) =>
    Object.hasOwn(values, key) ? values[key] : whole,
  );
}

function fallbackName(t) {
  return t ? t("replies.name_fallback") : "there";
}

/**
 * What the agent is looking for: the letters after a `/` that starts the composer's text, or
 * null when the text is not a reply search (no leading `/`, or it has a space or line break,
 * so it is a message).
 */
export function replyQuery(value) {
  const text = String(value ?? "");
  if (!text.startsWith("/")) return null;
  const query = text.slice(1);
  return /\s/.test(query) ? null : query;
}

/**
 * The replies that fit `query`, at most `limit`: those whose shortcut starts with it first,
 * then those with it anywhere in the shortcut or the text; case-insensitive; each group in the
 * order of `replies` (the server's: by shortcut). An empty query fits every reply.
 */
export function matchReplies(replies, query, limit = MAX_MATCHES) {
  const wanted = String(query ?? "")
    .trim()
    .toLowerCase();
  const starting = [];
  const containing = [];
  for (const reply of replies ?? []) {
    const shortcut = String(reply.shortcut ?? "").toLowerCase();
    if (shortcut.startsWith(wanted)) starting.push(reply);
    else if (shortcut.includes(wanted) || String(reply.text ?? "").toLowerCase().includes(wanted))
      containing.push(reply);
  }
  return [...starting, ...containing].slice(0, limit);
}

/**
 * The picker's state, without a DOM. `update(value, replies)` after every change of the
 * composer's text; `key(name, modifiers)` for a key pressed in it, which returns what to do:
 * "move" (the active option changed), "pick" (insert `picked`), "dismiss" (closed by Escape:
 * it stays closed until the text changes) or null (not the picker's key: let it through).
 */
export class ReplyPicker {
  matches = [];
  active = -1;
  picked = null;
  #query = null;
  #dismissed = null;
  #value = "";

  /** Whether the list is shown: a `/` search with at least one match, not dismissed. */
  get open() {
    return this.#query !== null && this.matches.length > 0 && this.#dismissed !== this.#value;
  }

  update(value, replies) {
    const text = String(value ?? "");
    const query = replyQuery(text);
    if (this.#dismissed !== null && this.#dismissed !== text) this.#dismissed = null;
    const same = query !== null && query === this.#query;
    const activeId = same ? this.matches[this.active]?.id : undefined;
    this.#value = text;
    this.#query = query;
    this.matches = query === null ? [] : matchReplies(replies, query);
    const kept = this.matches.findIndex((reply) => reply.id === activeId);
    this.active = this.matches.length === 0 ? -1 : Math.max(kept, 0);
  }

  key(name, { shiftKey = false, isComposing = false, altKey = false, ctrlKey = false } = {}) {
    if (!this.open || isComposing || altKey || ctrlKey) return null;
    const count = this.matches.length;
    switch (name) {
      case "ArrowDown":
        this.active = (this.active + 1) % count;
        return "move";
      case "ArrowUp":
        this.active = (this.active - 1 + count) % count;
        return "move";
      case "Enter":
      case "Tab":
        if (shiftKey) return null;
        this.picked = this.matches[this.active];
        return "pick";
      case "Escape":
        this.dismiss();
        return "dismiss";
      default:
        return null;
    }
  }

  /** Close until the text changes (Escape, leaving the composer, a reply just inserted). */
  dismiss() {
    this.#dismissed = this.#value;
  }

  /** Make the `index`th match active (a pointer over an option). */
  point(index) {
    if (index >= 0 && index < this.matches.length) this.active = index;
  }
}

let pickers = 0;

/**
 * Offer saved replies in `textarea`, which becomes an ARIA combobox controlling a listbox of
 * matches (`element`, placed at the end of the textarea's parent unless `container` is given).
 *
 * Keys, while the list is shown: ArrowDown/ArrowUp move, Enter or Tab insert the active reply,
 * Escape closes it. They are taken before the composer's own handlers (a capturing listener that
 * stops them), so Enter picks a reply instead of sending "/hel". Picking replaces the composer's
 * text by the expanded reply, fires an `input` event on the textarea (the composer's own
 * bookkeeping: typing, size) and calls `onPick(reply, expandedText)`: the host sends the
 * reply's catalogue item to the viewer (`catalogue_media_id`) if it wants.
 *
 * @param {object} options
 * @param {HTMLTextAreaElement} options.textarea the composer's input
 * @param {() => object[]} options.replies the current replies (as GET /api/replies lists them)
 * @param {() => {name?: string, agent?: string}} options.context names for `expandReply`
 * @param {(reply: object, text: string) => void} [options.onPick]
 * @param {Function} options.t translator
 * @param {Document} [options.document]
 * @param {Element} [options.container] where the list goes
 * @returns {{element: Element, picker: ReplyPicker, refresh: () => void, destroy: () => void}}
 */
export function attachReplyPicker({
  textarea,
  replies,
  context,
  onPick = () => {},
  t,
  document: doc = globalThis.document,
  container = null,
}) {
  const picker = new ReplyPicker();
  const listId = `cv-replies-${++pickers}`;
  const list = doc.createElement("ul");
  list.id = listId;
  list.className = "cv-replies";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", t("replies.label"));
  list.setAttribute("data-testid", "reply-picker");
  list.hidden = true;

  textarea.setAttribute("role", "combobox");
  textarea.setAttribute("aria-autocomplete", "list");
  textarea.setAttribute("aria-haspopup", "listbox");
  textarea.setAttribute("aria-controls", listId);
  textarea.setAttribute("aria-expanded", "false");

  const optionId = (index) => `${listId}-${index}`;

  const render = () => {
    const open = picker.open;
    list.hidden = !open;
    textarea.setAttribute("aria-expanded", String(open));
    if (!open) {
      textarea.removeAttribute("aria-activedescendant");
      list.replaceChildren();
      return;
    }
    list.replaceChildren(...picker.matches.map((reply, index) => option(reply, index)));
    textarea.setAttribute("aria-activedescendant", optionId(picker.active));
    list.children[picker.active]?.scrollIntoView?.({ block: "nearest" });
  };

  const option = (reply, index) => {
    const active = index === picker.active;
    const item = doc.createElement("li");
    item.id = optionId(index);
    item.className = active ? "cv-reply cv-reply-active" : "cv-reply";
    item.setAttribute("role", "option");
    item.setAttribute("aria-selected", String(active));
    item.setAttribute("data-testid", "reply-option");
    const shortcut = doc.createElement("span");
    shortcut.className = "cv-reply-shortcut";
    shortcut.textContent = `/${reply.shortcut}`;
    const text = doc.createElement("span");
    text.className = "cv-reply-text";
    text.textContent = String(reply.text ?? "");
    item.append(shortcut, text);
    if (reply.shared) {
      const badge = doc.createElement("span");
      badge.className = "cv-reply-shared";
      badge.textContent = t("replies.shared");
      item.append(badge);
    }
    // Keep the focus in the composer: the pick happens on click.
    item.addEventListener("mousedown", (event) => event.preventDefault());
    item.addEventListener("click", () => {
      picker.point(index);
      picker.picked = picker.matches[index];
      insert(picker.picked);
    });
    item.addEventListener("mousemove", () => {
      if (picker.active === index) return;
      picker.point(index);
      render();
    });
    return item;
  };

  const insert = (reply) => {
    if (!reply) return;
    const text = expandReply(reply.text, context?.() ?? {}, t);
    textarea.value = text;
    textarea.setSelectionRange?.(text.length, text.length);
    picker.update(text, replies());
    picker.dismiss();
    render();
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
    textarea.focus?.();
    onPick(reply, text);
  };

  const refresh = () => {
    picker.update(textarea.value, replies());
    render();
  };

  const onKeydown = (event) => {
    const action = picker.key(event.key, event);
    if (action === null) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    if (action === "pick") insert(picker.picked);
    else render();
  };
  const onBlur = () => {
    if (!picker.open) return;
    picker.dismiss();
    render();
  };

  textarea.addEventListener("keydown", onKeydown, { capture: true });
  textarea.addEventListener("input", refresh);
  textarea.addEventListener("blur", onBlur);
  (container ?? textarea.parentNode)?.append(list);

  return {
    element: list,
    picker,
    refresh,
    destroy() {
      textarea.removeEventListener("keydown", onKeydown, { capture: true });
      textarea.removeEventListener("input", refresh);
      textarea.removeEventListener("blur", onBlur);
      for (const name of ["role", "aria-autocomplete", "aria-haspopup", "aria-controls"])
        textarea.removeAttribute(name);
      textarea.removeAttribute("aria-expanded");
      textarea.removeAttribute("aria-activedescendant");
      list.remove();
    },
  };
}
