import assert from "node:assert/strict";
import test from "node:test";

import { GROUP_GAP_MS, displayName, groupPositions } from "../chat-view.js";
import { createTranslator } from "../i18n.js";
import { readFileSync } from "node:fs";

const load = (lang) =>
  JSON.parse(readFileSync(new URL(`../locales/${lang}.json`, import.meta.url), "utf8"));
const english = load("en");
const german = createTranslator("de", load("de"), english);

const by = (id, at) => ({ actor: { id }, at });

test("consecutive messages of one person form one group; others and breaks end it", () => {
  const t0 = 1_000_000;
  const messages = [
    by("a", t0),
    by("a", t0 + 1000),
    by("a", t0 + 2000),
    by("b", t0 + 3000),
    by("a", t0 + 4000),
    null,
    by("a", t0 + 5000),
    by("a", t0 + 6000),
  ];
  assert.deepEqual(groupPositions(messages), [
    "first",
    "middle",
    "last",
    "single",
    "single",
    null,
    "first",
    "last",
  ]);
});

test("a long pause starts a new group", () => {
  const messages = [by("a", 0), by("a", GROUP_GAP_MS), by("a", 2 * GROUP_GAP_MS + 1)];
  assert.deepEqual(groupPositions(messages), ["first", "last", "single"]);
});

test("messages without a known author never group", () => {
  assert.deepEqual(groupPositions([{ actor: null, at: 0 }, { actor: null, at: 1 }]), [
    "single",
    "single",
  ]);
});

test("the server's default names are shown in the reader's language", () => {
  assert.equal(displayName(german, "Shopper"), "Kundin/Kunde");
  assert.equal(displayName(german, "Caller"), "Anrufer/in");
  assert.equal(displayName(german, "Phone caller"), "Anrufer/in");
  assert.equal(displayName(german, ""), "Kundin/Kunde");
  assert.equal(displayName(german, "", null), "");
  assert.equal(displayName(german, "Maria"), "Maria");
});
