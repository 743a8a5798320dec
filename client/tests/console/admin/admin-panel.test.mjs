import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";

import {
  AdminPanel,
  adminForm,
  adminPanel,
  clearLines,
  confirmStep,
  copyText,
  errorLine,
  fillList,
  itemControl,
  loadInto,
  showLine,
} from "../../../console/admin/admin-panel.js";

/** Just enough of `document` for `h()`: elements keep attributes, listeners and children. */
function fakeElement(tag) {
  return {
    tagName: tag.toUpperCase(),
    attributes: {},
    listeners: {},
    children: [],
    dataset: {},
    className: "",
    textContent: "",
    setAttribute(name, value) {
      this.attributes[name] = value;
    },
    addEventListener(type, listener) {
      this.listeners[type] = listener;
    },
    append(...nodes) {
      this.children.push(...nodes);
    },
    replaceChildren(...nodes) {
      this.children = nodes;
    },
  };
}

const saved = {};
beforeEach(() => {
  for (const name of ["document", "navigator", "CSS"]) saved[name] = globalThis[name];
  globalThis.document = {
    createElement: fakeElement,
    createTextNode: (text) => ({ text }),
  };
});
afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete globalThis[name];
    else Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
});

const setGlobal = (name, value) =>
  Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });

const keydown = (key) => {
  const event = { key, prevented: false, stopped: false };
  event.preventDefault = () => (event.prevented = true);
  event.stopPropagation = () => (event.stopped = true);
  return event;
};

test("a line shows its text and clearing hides and empties every line", () => {
  const error = { hidden: true, textContent: "" };
  const other = { hidden: false, textContent: "old" };
  showLine(error, "Refused");
  assert.deepEqual(error, { hidden: false, textContent: "Refused" });
  clearLines(error, other);
  assert.deepEqual([error, other], [
    { hidden: true, textContent: "" },
    { hidden: true, textContent: "" },
  ]);
});

test("an error line is a hidden alert with the panel's test id", () => {
  const line = errorLine("team-error");
  assert.equal(line.className, "cv-form-message cv-admin-error");
  assert.deepEqual(line.attributes, { role: "alert", "data-testid": "team-error", hidden: "" });
});

test("an empty list says so in one item; otherwise it holds the rows", () => {
  const list = fakeElement("ul");
  fillList(list, [], "No agents yet.");
  assert.equal(list.children.length, 1);
  assert.equal(list.children[0].className, "cv-list-empty");
  assert.equal(list.children[0].textContent, "No agents yet.");
  const rows = [fakeElement("li"), fakeElement("li")];
  fillList(list, rows, "No agents yet.");
  assert.deepEqual(list.children, rows);
});

test("a list is busy while it loads, and a failure goes to onError", async () => {
  const list = fakeElement("ul");
  list.removeAttribute = (name) => delete list.attributes[name];
  const seen = [];
  await loadInto(
    list,
    async () => seen.push(list.attributes["aria-busy"]),
    () => seen.push("error"),
  );
  assert.deepEqual(seen, ["true"]);
  assert.equal("aria-busy" in list.attributes, false);
  const refused = new Error("refused");
  await loadInto(
    list,
    async () => {
      throw refused;
    },
    (error) => seen.push(error),
  );
  assert.deepEqual(seen, ["true", refused]);
  assert.equal("aria-busy" in list.attributes, false);
});

test("a control is found in the item of that kind and id", () => {
  setGlobal("CSS", { escape: (text) => text.replace(/"/g, '\\"') });
  const asked = [];
  const button = { testid: "team-reset" };
  const item = { querySelector: (selector) => (asked.push(selector), button) };
  const list = { querySelector: (selector) => (asked.push(selector), item) };
  assert.equal(itemControl(list, "agent", 'a"1', "team-reset"), button);
  assert.deepEqual(asked, ['[data-agent-id="a\\"1"]', '[data-testid="team-reset"]']);
  assert.equal(itemControl({ querySelector: () => null }, "agent", null, "x"), null);
});

test("the panel is labelled by its title and shows the intro only when given", () => {
  const action = fakeElement("button");
  const body = fakeElement("ul");
  const panel = adminPanel({ name: "rules", className: "cv-rules", title: "Rules", action }, body);
  assert.equal(panel.className, "cv-admin-panel cv-rules");
  assert.equal(panel.attributes["data-testid"], "rules-panel");
  assert.equal(panel.attributes["aria-labelledby"], "cv-rules-title");
  const [head, ...rest] = panel.children;
  assert.equal(head.children[0].attributes.id, "cv-rules-title");
  assert.equal(head.children[1], action);
  assert.deepEqual(rest, [body]);
  const withIntro = adminPanel({ name: "team", title: "Team", intro: "Who", action }, body);
  assert.equal(withIntro.className, "cv-admin-panel");
  assert.equal(withIntro.children[1].textContent, "Who");
});

test("the form submits without reloading and closes on Escape", () => {
  const calls = [];
  const form = adminForm({
    testid: "team-invite-form",
    label: "Invite",
    onSubmit: () => calls.push("submit"),
    onEscape: () => calls.push("escape"),
  });
  assert.equal(form.className, "cv-admin-form");
  assert.equal(form.attributes.hidden, "");
  const submit = keydown(undefined);
  form.listeners.submit(submit);
  assert.ok(submit.prevented);
  form.listeners.keydown(keydown("a"));
  form.listeners.keydown(keydown("Escape"));
  assert.deepEqual(calls, ["submit", "escape"]);
});

test("Escape cancels a confirmation, and goes no further only when contained", () => {
  for (const containEscape of [false, true]) {
    let cancelled = 0;
    const step = confirmStep({
      label: "Delete",
      question: "Sure?",
      confirm: { testid: "x-confirm", text: "Delete", onClick: () => {} },
      cancel: { testid: "x-cancel", text: "Cancel" },
      onCancel: () => cancelled++,
      containEscape,
    });
    assert.equal(step.attributes.role, "group");
    const event = keydown("Escape");
    step.listeners.keydown(event);
    assert.equal(cancelled, 1);
    assert.ok(event.prevented);
    assert.equal(event.stopped, containEscape);
    const [, row] = step.children;
    assert.deepEqual(
      row.children.map((button) => [button.attributes["data-testid"], button.className]),
      [
        ["x-confirm", "cv-btn cv-btn--danger"],
        ["x-cancel", "cv-btn"],
      ],
    );
    row.children[1].listeners.click();
    assert.equal(cancelled, 2);
  }
});

test("copying uses the clipboard, else the selection, and says whether it worked", async () => {
  const field = { value: "s3cret", focus() {}, select() {} };
  let written = null;
  setGlobal("navigator", { clipboard: { writeText: async (text) => (written = text) } });
  assert.equal(await copyText(field), true);
  assert.equal(written, "s3cret");
  setGlobal("navigator", {});
  globalThis.document.execCommand = (command) => command === "copy";
  assert.equal(await copyText(field), true);
  delete globalThis.document.execCommand;
  assert.equal(await copyText(field), false);
});

/** A panel over the `AdminPanel` frame that loads with `load` and records what it was told. */
function testPanel({ me = { id: "a_1", admin: true }, adminOnly = true, load, status = false }) {
  const notices = [];
  const t = Object.assign((key) => `<${key}>`, { has: (key) => key === "agent.x.error.forbidden" });
  class Panel extends AdminPanel {
    constructor() {
      const onNotice = (text) => notices.push(text);
      super({ t, api: {}, me, onNotice }, { errorPrefix: "agent.x.error", adminOnly });
      this.list = fakeElement("ul");
      this.list.removeAttribute = (name) => delete this.list.attributes[name];
      this.error = errorLine("x-error");
      this.status = status ? fakeElement("p") : undefined;
      this.root = fakeElement("section");
    }

    async load() {
      await load(this);
    }
  }
  return { panel: new Panel(), notices };
}

test("an admin panel loads on refresh and shows a failure in its error line", async () => {
  const loaded = [];
  const { panel } = testPanel({ load: (self) => loaded.push(self.list.attributes["aria-busy"]) });
  assert.equal(panel.element, panel.root);
  await panel.refresh();
  assert.deepEqual(loaded, ["true"]);
  assert.equal("aria-busy" in panel.list.attributes, false);

  const failing = testPanel({
    status: true,
    load: () => Promise.reject(Object.assign(new Error("no"), { code: "forbidden" })),
  });
  failing.panel.status.textContent = "Saved";
  await failing.panel.refresh();
  assert.equal(failing.panel.error.textContent, "<agent.x.error.forbidden>");
  assert.equal(failing.panel.error.hidden, false);
  assert.equal(failing.panel.status.textContent, "", "an error replaces the status");
  assert.deepEqual(failing.notices, ["<agent.x.error.forbidden>"]);
});

test("an admin-only panel does not load for an agent who is not an admin", async () => {
  let loads = 0;
  const load = () => {
    loads += 1;
  };
  await testPanel({ me: { id: "a_2", admin: false }, load }).panel.refresh();
  assert.equal(loads, 0);
  await testPanel({ me: { id: "a_2", admin: false }, adminOnly: false, load }).panel.refresh();
  assert.equal(loads, 1);
});

test("a panel's status line hides its error line", () => {
  const { panel } = testPanel({ status: true, load: () => {} });
  panel.showError("Broken");
  panel.showStatus("Saved");
  assert.equal(panel.error.hidden, true);
  assert.equal(panel.status.textContent, "Saved");
});
