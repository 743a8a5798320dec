import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import {
  bodyOfRule,
  conditionsFromForm,
  conditionsSummary,
  formFromRule,
  languageName,
  parseWhole,
  ruleBody,
  ruleProblem,
} from "../../../console/admin/rules.js";
import { LANGUAGES, createTranslator } from "../../../shared/i18n.js";

const load = (lang) =>
  JSON.parse(readFileSync(new URL(`../../../locales/${lang}.json`, import.meta.url), "utf8"));
const english = load("en");
const t = createTranslator("en", english);

const form = (extra = {}) => ({
  name: "Boots help",
  enabled: true,
  url: "",
  seconds: "",
  pages: "",
  devices: [],
  visitor: "",
  trigger: "",
  messages: [{ lang: "en", text: "Need help choosing boots?" }],
  ...extra,
});

test("the summary reads every condition in the form's order, in the agent's language", () => {
  const conditions = {
    url: "*/boots*",
    seconds: 20,
    pages: 2,
    devices: ["phone"],
    visitor: "returning",
    trigger: "coupon-failed",
  };
  assert.equal(
    conditionsSummary(t, conditions),
    "on */boots* · after 20 s · 2+ pages · phones · returning visitors · " +
      "when the page triggers coupon-failed",
  );
  const german = createTranslator("de", load("de"), english);
  assert.equal(
    conditionsSummary(german, { url: "*/stiefel/*", visitor: "new" }),
    "auf */stiefel/* · neue Besucher",
  );
});

test("the summary: devices as alternatives, whole minutes, and no condition at all", () => {
  assert.equal(conditionsSummary(t, { devices: ["desktop", "phone"] }), "phones or desktops");
  assert.equal(conditionsSummary(t, { seconds: 120 }), "after 2 min");
  assert.equal(conditionsSummary(t, { seconds: 90 }), "after 90 s");
  // `seconds: 0` waits for nothing, as on the server.
  assert.equal(conditionsSummary(t, { seconds: 0 }), "on every page, right away");
  assert.equal(conditionsSummary(t, {}), "on every page, right away");
  assert.equal(conditionsSummary(t, null), "on every page, right away");
  assert.equal(conditionsSummary(t, { url: null, trigger: "x" }), "when the page triggers x");
});

test("a form becomes a body with only the conditions that are set", () => {
  assert.deepEqual(ruleBody(form({ name: "  Boots help " })), {
    name: "Boots help",
    enabled: true,
    conditions: {},
    messages: { en: "Need help choosing boots?" },
  });
  const full = form({
    enabled: false,
    url: " */boots/* ",
    seconds: "0",
    pages: " 3 ",
    devices: ["tablet", "phone"],
    visitor: "new",
    trigger: " coupon-failed ",
    messages: [
      { lang: "en", text: " Need help? " },
      { lang: "es", text: "¿Le ayudamos?" },
    ],
  });
  assert.deepEqual(ruleBody(full), {
    name: "Boots help",
    enabled: false,
    conditions: {
      url: "*/boots/*",
      seconds: 0,
      pages: 3,
      devices: ["phone", "tablet"],
      visitor: "new",
      trigger: "coupon-failed",
    },
    messages: { en: "Need help?", es: "¿Le ayudamos?" },
  });
  assert.deepEqual(conditionsFromForm(form({ visitor: "anyone", url: "   " })), {});
});

test("a rule opens in the form as it was saved, and goes back unchanged", () => {
  const rule = {
    id: "r_1",
    name: "Coupon",
    enabled: false,
    conditions: { seconds: 0, devices: ["desktop"], trigger: "coupon-failed" },
    messages: { de: "Hallo", en: "Hello" },
    created_at: 1,
    updated_at: 2,
  };
  const opened = formFromRule(rule);
  assert.deepEqual(opened, {
    name: "Coupon",
    enabled: false,
    url: "",
    seconds: "0",
    pages: "",
    devices: ["desktop"],
    visitor: "",
    trigger: "coupon-failed",
    messages: [
      { lang: "de", text: "Hallo" },
      { lang: "en", text: "Hello" },
    ],
  });
  assert.equal(ruleProblem(opened), null);
  assert.deepEqual(ruleBody(opened), bodyOfRule(rule));
  assert.deepEqual(formFromRule(null).enabled, true);
  assert.deepEqual(formFromRule(null).messages, []);
});

test("switching a rule on or off sends the whole rule with only `enabled` changed", () => {
  const rule = {
    id: "r_1",
    name: "Coupon",
    enabled: true,
    conditions: { url: "*", pages: null },
    messages: { en: "Hello" },
    created_at: 1,
    updated_at: 2,
  };
  assert.deepEqual(bodyOfRule(rule, { enabled: false }), {
    name: "Coupon",
    enabled: false,
    conditions: { url: "*" },
    messages: { en: "Hello" },
  });
});

test("numbers are whole and within the server's limits; empty is no condition", () => {
  assert.equal(parseWhole("", 0, 10), "");
  assert.equal(parseWhole("  ", 0, 10), "");
  assert.equal(parseWhole(" 7 ", 0, 10), 7);
  for (const bad of ["-1", "11", "2.5", "1e1", "abc", "?"])
    assert.equal(parseWhole(bad, 0, 10), null, bad);
});

test("the form is checked with the server's limits, pointing at the field to fix", () => {
  const problem = (extra) => ruleProblem(form(extra));
  assert.equal(problem({}), null);
  assert.deepEqual(problem({ name: "  " }), { key: "agent.rules.invalid_name", field: "name" });
  assert.equal(problem({ name: "x".repeat(81) }).key, "agent.rules.invalid_name");
  assert.equal(problem({ name: "é".repeat(80) }), null);
  assert.equal(problem({ url: "x".repeat(501) }).field, "url");
  assert.equal(problem({ url: "x".repeat(500) }), null);
  assert.equal(problem({ seconds: "86400" }), null);
  assert.equal(problem({ seconds: "0" }), null);
  for (const seconds of ["86401", "-1", "1.5", "?"])
    assert.equal(problem({ seconds }).key, "agent.rules.invalid_seconds", seconds);
  assert.equal(problem({ pages: "1000" }), null);
  for (const pages of ["0", "1001", "two"])
    assert.equal(problem({ pages }).key, "agent.rules.invalid_pages", pages);
  assert.equal(problem({ devices: ["watch"] }).field, "devices");
  assert.equal(problem({ visitor: "old" }).field, "visitor");
  for (const trigger of ["coupon-failed", "a", "cart:step_2.done", "x".repeat(64)])
    assert.equal(problem({ trigger }), null, trigger);
  for (const trigger of ["two words", "x".repeat(65), "coupon!", "ü"])
    assert.equal(problem({ trigger }).key, "agent.rules.invalid_trigger", trigger);
});

test("messages: at least one, one per language, each 1–500 characters", () => {
  const problem = (messages) => ruleProblem(form({ messages }));
  assert.deepEqual(problem([]), { key: "agent.rules.no_message", field: "messages" });
  assert.deepEqual(
    problem([
      { lang: "en", text: "Hi" },
      { lang: "en", text: "Hello" },
    ]),
    { key: "agent.rules.duplicate_language", field: "lang", index: 1 },
  );
  assert.deepEqual(
    problem([
      { lang: "en", text: "Hi" },
      { lang: "de", text: "  " },
    ]),
    { key: "agent.rules.empty_message", field: "text", index: 1 },
  );
  assert.equal(problem([{ lang: "en", text: "x".repeat(501) }]).key, "agent.rules.long_message");
  // Counted in code points, as the server counts: 500 emoji are 500 characters.
  assert.equal(problem([{ lang: "en", text: "😀".repeat(500) }]), null);
  assert.equal(problem([{ lang: "EN", text: "Hi" }]).key, "agent.rules.invalid_language");
  const many = Array.from({ length: 21 }, (_, i) => ({
    lang: `a${String.fromCharCode(97 + i)}`,
    text: "Hi",
  }));
  assert.equal(problem(many).key, "agent.rules.too_many_messages");
  assert.equal(problem(many.slice(0, 20)), null);
});

test("languages are named in the agent's language", () => {
  assert.equal(languageName(t, "es"), "Spanish");
  assert.equal(languageName(createTranslator("de", {}), "en"), "Englisch");
  assert.equal(languageName(t, "xx"), "xx");
});

test("every rules string is in every locale, with the same placeholders", () => {
  const keys = Object.keys(english).filter((key) => key.startsWith("agent.rules."));
  assert.ok(keys.length > 50);
  const built = [
    ...["phone", "tablet", "desktop"].flatMap((d) => [
      `agent.rules.device_${d}`,
      `agent.rules.sum_device_${d}`,
    ]),
    ...["any", "new", "returning"].map((v) => `agent.rules.visitor_${v}`),
    ...["new", "returning"].map((v) => `agent.rules.sum_visitor_${v}`),
    ...[
      "invalid_name",
      "invalid_url",
      "invalid_seconds",
      "invalid_pages",
      "invalid_devices",
      "invalid_visitor",
      "invalid_trigger",
      "no_message",
      "too_many_messages",
      "invalid_language",
      "duplicate_language",
      "empty_message",
      "long_message",
    ].map((key) => `agent.rules.${key}`),
  ];
  assert.deepEqual(
    built.filter((key) => !keys.includes(key)),
    [],
  );
  const placeholders = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  for (const lang of LANGUAGES) {
    const messages = load(lang);
    for (const key of keys) {
      assert.ok(messages[key]?.trim(), `${lang}: ${key}`);
      assert.deepEqual(placeholders(messages[key]), placeholders(english[key]), `${lang}: ${key}`);
    }
  }
  assert.ok(english["agent.rules.trigger_hint"].includes("{code}"));
});
