import assert from "node:assert/strict";
import test from "node:test";

import { GROUP_GAP_MS, displayName, groupPositions, transferText } from "../../shared/chat-view.js";
import { createTranslator } from "../../shared/i18n.js";
import { readFileSync } from "node:fs";

const load = (lang) =>
  JSON.parse(readFileSync(new URL(`../../locales/${lang}.json`, import.meta.url), "utf8"));
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

test("a transfer tells the shopper who they chat with, the team who handed it over", () => {
  const english = createTranslator("en", load("en"));
  const to = { from: { id: "a_1", name: "Alex" }, to: { id: "a_2", name: "Bea" } };
  const back = { from: { id: "a_2", name: "Bea" }, to: null };
  assert.equal(transferText(english, { data: to }, true), "You are now chatting with Bea");
  assert.equal(
    transferText(english, { data: back }, true),
    "Waiting for the next available agent",
  );
  assert.equal(transferText(english, { data: to }, false), "Alex transferred the chat to Bea");
  assert.equal(
    transferText(german, { data: back }, false),
    "Bea hat den Chat zurück in die Warteschlange gestellt",
  );
});
