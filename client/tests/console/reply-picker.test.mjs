import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { LANGUAGES, createTranslator } from "../../shared/i18n.js";
import {
  MAX_MATCHES,
  ReplyPicker,
  attachReplyPicker,
  expandReply,
  matchReplies,
  replyQuery,
} from "../../console/reply-picker.js";

const load = (lang) =>
  JSON.parse(readFileSync(new URL(`../../locales/${lang}.json`, import.meta.url), "utf8"));
const english = createTranslator("en", load("en"));
const german = createTranslator("de", load("de"), load("en"));

const reply = (id, shortcut, text = `text of ${shortcut}`, extra = {}) => ({
  id,
  shortcut,
  text,
  shared: false,
  ...extra,
});

const REPLIES = [
  reply("r_1", "address", "Our address is Main St 1."),
  reply("r_2", "hello", "Hi {name}, I'm {agent}. How can I help?"),
  reply("r_3", "hours", "We open at 9.", { shared: true }),
  reply("r_4", "returns", "You can return it within 30 days. Say hello to the courier."),
  reply("r_5", "shoes", "Our shoes run small."),
];

test("{name} and {agent} are filled in; unknown placeholders stay", () => {
  assert.equal(
    expandReply("Hi {name}, I'm {agent}. {unknown} {name}", { name: "Ann", agent: "Bo" }),
    "Hi Ann, I'm Bo. {unknown} Ann",
  );
});

test("without a shopper's name the neutral fallback of the language is used", () => {
  assert.equal(expandReply("Hi {name}!", { agent: "Bo" }, english), "Hi there!");
  assert.equal(expandReply("Hallo {name}!", { name: "  " }, german), "Hallo zusammen!");
  for (const name of ["Shopper", "Caller", "Phone caller"])
    assert.equal(expandReply("Hi {name}!", { name }, english), "Hi there!");
  assert.equal(expandReply("Hi {name}!", {}), "Hi there!");
});

test("names are put in once: braces in a name are not expanded again", () => {
  assert.equal(
    expandReply("{name} / {agent}", { name: "{agent}", agent: "{name}" }),
    "{agent} / {name}",
  );
});

test("a blank agent name leaves {agent} visible", () => {
  assert.equal(expandReply("I'm {agent}", { name: "Ann", agent: "" }), "I'm {agent}");
});

test("only a leading slash without spaces is a reply search", () => {
  assert.equal(replyQuery("/"), "");
  assert.equal(replyQuery("/Ho"), "Ho");
  assert.equal(replyQuery("/ho there"), null);
  assert.equal(replyQuery("/ho\n"), null);
  assert.equal(replyQuery("hi /ho"), null);
  assert.equal(replyQuery(""), null);
});

test("shortcut prefixes come first, then matches in shortcuts and texts", () => {
  const ids = (query) => matchReplies(REPLIES, query).map((r) => r.id);
  assert.deepEqual(ids("h"), ["r_2", "r_3", "r_4", "r_5"]);
  assert.deepEqual(ids("HEL"), ["r_2", "r_4"]);
  assert.deepEqual(ids("o"), ["r_1", "r_2", "r_3", "r_4", "r_5"]);
  assert.deepEqual(ids("ho"), ["r_3", "r_2", "r_5"]);
  assert.deepEqual(ids("ur"), ["r_1", "r_3", "r_4", "r_5"]);
  assert.deepEqual(ids("zzz"), []);
  assert.deepEqual(ids(""), ["r_1", "r_2", "r_3", "r_4", "r_5"]);
});

test("at most eight replies are offered", () => {
  const many = Array.from({ length: 20 }, (_, i) => reply(`r_${i}`, `a${i}`));
  assert.equal(MAX_MATCHES, 8);
  assert.equal(matchReplies(many, "a").length, 8);
  assert.deepEqual(
    matchReplies(many, "").map((r) => r.id),
    many.slice(0, 8).map((r) => r.id),
  );
});

test("the picker opens on a slash search with matches", () => {
  const picker = new ReplyPicker();
  picker.update("hello", REPLIES);
  assert.equal(picker.open, false);
  picker.update("/h", REPLIES);
  assert.equal(picker.open, true);
  assert.equal(picker.active, 0);
  picker.update("/zzz", REPLIES);
  assert.equal(picker.open, false);
  assert.equal(picker.active, -1);
  picker.update("/ho ", REPLIES);
  assert.equal(picker.open, false);
  picker.update("/", []);
  assert.equal(picker.open, false);
});

test("arrows move the active option round; Enter and Tab pick it", () => {
  const picker = new ReplyPicker();
  picker.update("/h", REPLIES);
  assert.equal(picker.key("ArrowUp"), "move");
  assert.equal(picker.active, 3);
  assert.equal(picker.key("ArrowDown"), "move");
  assert.equal(picker.active, 0);
  picker.key("ArrowDown");
  assert.equal(picker.key("Enter"), "pick");
  assert.equal(picker.picked.id, "r_3");
  picker.key("ArrowDown");
  assert.equal(picker.key("Tab"), "pick");
  assert.equal(picker.picked.id, "r_4");
});

test("keys the picker does not take pass through", () => {
  const picker = new ReplyPicker();
  assert.equal(picker.key("Enter"), null, "closed");
  picker.update("/h", REPLIES);
  assert.equal(picker.key("Enter", { shiftKey: true }), null);
  assert.equal(picker.key("Tab", { shiftKey: true }), null);
  assert.equal(picker.key("Enter", { isComposing: true }), null);
  assert.equal(picker.key("ArrowDown", { ctrlKey: true }), null);
  assert.equal(picker.key("a"), null);
  assert.equal(picker.active, 0);
});

test("Escape closes the list until the text changes", () => {
  const picker = new ReplyPicker();
  picker.update("/h", REPLIES);
  assert.equal(picker.key("Escape"), "dismiss");
  assert.equal(picker.open, false);
  assert.equal(picker.key("Enter"), null);
  picker.update("/h", REPLIES);
  assert.equal(picker.open, false);
  picker.update("/ho", REPLIES);
  assert.equal(picker.open, true);
});

test("the active reply stays active while the list changes under the same search", () => {
  const picker = new ReplyPicker();
  picker.update("/h", REPLIES);
  picker.key("ArrowDown");
  assert.equal(picker.matches[picker.active].id, "r_3");
  picker.update("/h", [reply("r_0", "hat"), ...REPLIES]);
  assert.equal(picker.matches[picker.active].id, "r_3");
  picker.update("/ho", REPLIES);
  assert.equal(picker.active, 0, "a new search starts at the top");
});

/** Just enough of the DOM for the picker: elements, attributes, events with a capture phase. */
class FakeElement {
  constructor(tag) {
    this.tagName = tag.toUpperCase();
    this.attributes = new Map();
    this.children = [];
    this.parentNode = null;
    this.listeners = [];
    this.hidden = false;
    this.id = "";
    this.className = "";
    this.textContent = "";
    this.value = "";
    this.selection = null;
  }
  setAttribute(name, value) {
    this.attributes.set(name, String(value));
  }
  getAttribute(name) {
    return this.attributes.get(name) ?? null;
  }
  removeAttribute(name) {
    this.attributes.delete(name);
  }
  append(...nodes) {
    for (const node of nodes) {
      node.parentNode = this;
      this.children.push(node);
    }
  }
  replaceChildren(...nodes) {
    this.children = [];
    this.append(...nodes);
  }
  remove() {
    if (!this.parentNode) return;
    this.parentNode.children = this.parentNode.children.filter((node) => node !== this);
    this.parentNode = null;
  }
  get text() {
    return this.textContent + this.children.map((child) => child.text).join("");
  }
  setSelectionRange(start, end) {
    this.selection = [start, end];
  }
  focus() {}
  addEventListener(type, listener, options = {}) {
    const capture = options === true || Boolean(options.capture);
    this.listeners.push({ type, listener, capture });
  }
  removeEventListener(type, listener, options = {}) {
    const capture = options === true || Boolean(options.capture);
    this.listeners = this.listeners.filter(
      (l) => !(l.type === type && l.listener === listener && l.capture === capture),
    );
  }
  /** At the target, capturing listeners run first (as browsers do). */
  dispatchEvent(event) {
    const wanted = this.listeners.filter((l) => l.type === event.type);
    const ordered = [...wanted.filter((l) => l.capture), ...wanted.filter((l) => !l.capture)];
    for (const { listener } of ordered) {
      listener(event);
      if (event.stopped) break;
    }
    return !event.defaultPrevented;
  }
}

const fakeDocument = { createElement: (tag) => new FakeElement(tag) };

function keydown(key, modifiers = {}) {
  return {
    type: "keydown",
    key,
    ...modifiers,
    defaultPrevented: false,
    stopped: false,
    preventDefault() {
      this.defaultPrevented = true;
    },
    stopImmediatePropagation() {
      this.stopped = true;
    },
  };
}

function composer() {
  const form = new FakeElement("form");
  const textarea = new FakeElement("textarea");
  form.append(textarea);
  const sent = [];
  const inputs = [];
  // The composer's own handler, registered first and not capturing, as in chat-view.js.
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) sent.push(textarea.value);
  });
  textarea.addEventListener("input", () => inputs.push(textarea.value));
  const picks = [];
  const attached = attachReplyPicker({
    textarea,
    replies: () => REPLIES,
    context: () => ({ name: "Ann", agent: "Bo" }),
    onPick: (picked, text) => picks.push([picked.id, text]),
    t: english,
    document: fakeDocument,
  });
  const type = (value) => {
    textarea.value = value;
    textarea.dispatchEvent(new Event("input"));
  };
  const press = (key, modifiers) => {
    const event = keydown(key, modifiers);
    textarea.dispatchEvent(event);
    return event;
  };
  return { form, textarea, sent, inputs, picks, list: attached.element, attached, type, press };
}

test("the textarea is a combobox controlling a labelled listbox under the composer", () => {
  const { form, textarea, list } = composer();
  assert.equal(list.parentNode, form);
  assert.equal(list.getAttribute("role"), "listbox");
  assert.equal(list.getAttribute("aria-label"), "Saved replies");
  assert.equal(textarea.getAttribute("role"), "combobox");
  assert.equal(textarea.getAttribute("aria-controls"), list.id);
  assert.equal(textarea.getAttribute("aria-expanded"), "false");
  assert.equal(list.hidden, true);
});

test("typing a slash search shows the matches as options, the first one active", () => {
  const { textarea, list, type } = composer();
  type("/h");
  assert.equal(list.hidden, false);
  assert.equal(textarea.getAttribute("aria-expanded"), "true");
  assert.deepEqual(
    list.children.map((option) => option.getAttribute("role")),
    ["option", "option", "option", "option"],
  );
  assert.equal(list.children[0].text, "/helloHi {name}, I'm {agent}. How can I help?");
  assert.equal(list.children[1].text, "/hoursWe open at 9.Shared");
  assert.equal(textarea.getAttribute("aria-activedescendant"), list.children[0].id);
  assert.equal(list.children[0].getAttribute("aria-selected"), "true");
  assert.equal(list.children[1].getAttribute("aria-selected"), "false");
});

test("arrows move aria-activedescendant; the composer does not see them", () => {
  const { textarea, list, type, press } = composer();
  type("/h");
  const down = press("ArrowDown");
  assert.equal(down.defaultPrevented, true);
  assert.equal(textarea.getAttribute("aria-activedescendant"), list.children[1].id);
  assert.equal(list.children[1].getAttribute("aria-selected"), "true");
  press("ArrowUp");
  press("ArrowUp");
  assert.equal(textarea.getAttribute("aria-activedescendant"), list.children[3].id);
});

test("Enter inserts the expanded reply instead of sending the search", () => {
  const { textarea, list, type, press, sent, picks, inputs } = composer();
  type("/hel");
  const enter = press("Enter");
  assert.equal(enter.defaultPrevented, true);
  assert.deepEqual(sent, [], "the composer's Enter did not run");
  const expanded = "Hi Ann, I'm Bo. How can I help?";
  assert.equal(textarea.value, expanded);
  assert.deepEqual(textarea.selection, [expanded.length, expanded.length]);
  assert.deepEqual(picks, [["r_2", expanded]]);
  assert.equal(inputs.at(-1), expanded, "an input event tells the composer");
  assert.equal(list.hidden, true);
  assert.equal(textarea.getAttribute("aria-expanded"), "false");
  assert.equal(textarea.getAttribute("aria-activedescendant"), null);
  press("Enter");
  assert.deepEqual(sent, [expanded], "the next Enter sends it");
});

test("Tab picks too; a click on an option picks that one", () => {
  const { textarea, list, type, press, picks } = composer();
  type("/h");
  press("ArrowDown");
  press("Tab");
  assert.equal(textarea.value, "We open at 9.");
  type("/re");
  list.children[0].dispatchEvent({ type: "click" });
  assert.deepEqual(
    picks.map(([id]) => id),
    ["r_3", "r_4"],
  );
});

test("Escape closes the list and the composer then sends as usual", () => {
  const { list, type, press, sent } = composer();
  type("/h");
  const escape = press("Escape");
  assert.equal(escape.defaultPrevented, true);
  assert.equal(escape.stopped, true);
  assert.equal(list.hidden, true);
  press("Enter");
  assert.deepEqual(sent, ["/h"]);
  type("/ho");
  assert.equal(list.hidden, false);
});

test("a message with a space, or no match, leaves the keys to the composer", () => {
  const { list, type, press, sent } = composer();
  type("/hours please");
  assert.equal(list.hidden, true);
  press("Enter");
  type("/nothing");
  assert.equal(list.hidden, true);
  press("Enter");
  assert.deepEqual(sent, ["/hours please", "/nothing"]);
});

test("destroy takes the picker away", () => {
  const { form, textarea, attached, type, press, sent } = composer();
  attached.destroy();
  assert.equal(form.children.length, 1);
  assert.equal(textarea.getAttribute("role"), null);
  type("/h");
  press("Enter");
  assert.deepEqual(sent, ["/h"]);
});

test("the picker's texts exist in every language", () => {
  for (const lang of LANGUAGES) {
    const messages = load(lang);
    for (const key of ["replies.label", "replies.shared", "replies.name_fallback"])
      assert.ok(messages[key]?.trim(), `${lang}: ${key}`);
  }
});
