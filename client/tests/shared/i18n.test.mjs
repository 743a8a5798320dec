import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { test } from "node:test";

import { clientDir, clientSources } from "../client-sources.mjs";
import {
  LANGUAGES,
  createTranslator,
  errorText,
  formatDuration,
  interpolate,
  pickLanguage,
  pluralForm,
} from "../../shared/i18n.js";
import { formatPin, normalisePin, pinField } from "../../shared/pin.js";
import { AVAILABILITIES, OPTION_NAMES } from "../../shared/product.js";
import { DEFAULT_LIMITS } from "../../shared/protocol.js";

const load = (lang) => JSON.parse(readFileSync(new URL(`locales/${lang}.json`, clientDir), "utf8"));
const english = load("en");
const forms = (entry) => (typeof entry === "string" ? [entry] : Object.values(entry));
const placeholders = (entry) =>
  [...new Set(forms(entry).flatMap((text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1])))].sort();

test("every supported language has a catalogue and nothing else is shipped", () => {
  const files = readdirSync(new URL("locales/", clientDir)).filter((f) => f.endsWith(".json"));
  assert.deepEqual(files.map((f) => f.replace(".json", "")).sort(), [...LANGUAGES].sort());
});

for (const lang of LANGUAGES.filter((l) => l !== "en")) {
  test(`${lang} translates exactly the English keys with the same placeholders`, () => {
    const messages = load(lang);
    assert.deepEqual(Object.keys(messages).sort(), Object.keys(english).sort());
    for (const [key, text] of Object.entries(english)) {
      assert.deepEqual(placeholders(messages[key]), placeholders(text), `${lang}: ${key}`);
      assert.ok(forms(messages[key]).every((form) => form.trim()), `${lang}: ${key} is empty`);
    }
  });
}

for (const lang of LANGUAGES) {
  test(`${lang}: plural messages have every form whole numbers take there`, () => {
    const rules = new Intl.PluralRules(lang);
    const needed = new Set(Array.from({ length: 201 }, (_, n) => rules.select(n)));
    for (const [key, entry] of Object.entries(load(lang))) {
      if (typeof entry === "string") continue;
      assert.equal(typeof english[key], "object", `${lang}: ${key} is plural, not in English`);
      for (const category of needed) assert.ok(entry[category], `${lang}: ${key} lacks ${category}`);
    }
  });
}

test("a plural message takes the form of its count in each language", () => {
  const pages = {
    en: "1 page · 5 pages",
    es: "1 página · 5 páginas",
    de: "1 Seite · 5 Seiten",
    pl: "1 strona · 3 strony · 5 stron",
    fr: "1 page · 5 pages",
  };
  for (const lang of LANGUAGES) {
    const t = createTranslator(lang, load(lang), english);
    const counts = lang === "pl" ? [1, 3, 5] : [1, 5];
    const said = counts.map((count) => t("agent.visitors.pages", { count, time: "" }).split(" ·")[0]);
    assert.equal(said.join(" · "), pages[lang], lang);
  }
  assert.equal(pluralForm(new Intl.PluralRules("pl"), { other: "x" }, 3), "x", "other at worst");
});

test("every literal key the client code asks for exists in English", () => {
  const sources = clientSources();
  const missing = [];
  for (const file of sources) {
    const code = readFileSync(new URL(file, clientDir), "utf8");
    for (const match of code.matchAll(
      /\bt\(\s*(?:[^()"]*\?\s*)?"([a-z_]+\.[a-z_.]+)"(?:\s*:\s*"([a-z_]+\.[a-z_.]+)")?/g,
    )) {
      for (const key of match.slice(1).filter(Boolean))
        if (!(key in english)) missing.push(`${file}: ${key}`);
    }
  }
  assert.deepEqual(missing, []);
});

test("keys built from codes exist for every value the client produces", () => {
  const built = [
    ...["list", "viewer", "chat", "media"].map((pane) => `agent.tab.${pane}`),
    ...["queued", "sending", "sent", "failed", "offline"].map((status) => `chat.status.${status}`),
    ...["red", "yellow", "green", "blue", "white", "black"].map((color) => `color.${color}`),
    ...["thin", "medium", "thick"].map((width) => `width.${width}`),
    ...["play", "pause"].map((kind) => `video.${kind}`),
    ...["move", "pen", "undo", "clear", "zoom_in", "zoom_out", "zoom_reset"].map(
      (tool) => `tools.${tool}`,
    ),
    ...["accepted", "closed", "joined"].map((notice) => `chat.system.${notice}`),
    ...["pending", "accepted", "declined"].map((outcome) => `agent.visitors.invitation.${outcome}`),
    ...AVAILABILITIES.map((availability) => `product.availability.${availability}`),
    ...OPTION_NAMES.map((name) => `product.${name}`),
    "upload.cancel",
    "upload.dismiss",
    "upload.reason.unknown",
    ...[
      "bad_request",
      "unauthorized",
      "forbidden",
      "not_found",
      "conflict",
      "too_large",
      "unsupported",
      "rate_limited",
      "unknown_event",
      "internal",
      "offline",
      "timeout",
      "cancelled",
    ].map((code) => `error.${code}`),
  ];
  assert.deepEqual(
    built.filter((key) => !(key in english)),
    [],
  );
});

test("the shop's data-lang wins, then <html lang>, then the browser", () => {
  assert.equal(pickLanguage("de", "fr", ["es"]), "de");
  assert.equal(pickLanguage("", "fr-CA", ["es"]), "fr");
  assert.equal(pickLanguage(undefined, "", ["it-IT", "pl-PL"]), "pl");
  assert.equal(pickLanguage("xx", "ja", ["it"]), "en");
});

test("placeholders are filled and unknown ones stay visible", () => {
  assert.equal(interpolate("{name} is typing… {other}", { name: "Ana" }), "Ana is typing… {other}");
});

test("a missing translation falls back to English, then to the key", () => {
  const t = createTranslator("de", { "a.b": "Hallo" }, { "a.b": "Hello", "c.d": "Only English" });
  assert.equal(t("a.b"), "Hallo");
  assert.equal(t("c.d"), "Only English");
  assert.equal(t("x.y"), "x.y");
  assert.equal(t.has("c.d"), true);
  assert.equal(t.has("x.y"), false);
});

test("error texts prefer the specific prefix, then the generic code, then internal", () => {
  const t = createTranslator("en", english);
  assert.equal(errorText(t, { code: "not_found" }, "pin.error"), english["pin.error.not_found"]);
  assert.equal(errorText(t, { code: "too_large" }, "pin.error"), english["error.too_large"]);
  assert.equal(errorText(t, { code: "something_new" }), english["error.internal"]);
  assert.equal(
    errorText(t, { code: "rate_limited", retryAfter: 2.2 }),
    "Slow down a little: try again in 3 seconds.",
  );
});

test("durations read as m:ss or h:mm:ss", () => {
  assert.equal(formatDuration(0), "0:00");
  assert.equal(formatDuration(75.9), "1:15");
  assert.equal(formatDuration(3725), "1:02:05");
  assert.equal(formatDuration(Number.NaN), "0:00");
});

test("PINs are grouped by three for reading and reduced to digits for the server", () => {
  assert.equal(formatPin("482913"), "482 913");
  assert.equal(formatPin("48291"), "482 91");
  assert.equal(normalisePin(" 482-913 "), "482913");
  assert.equal(formatPin(normalisePin("482 913")), "482 913");
});

test("the PIN field fits the PIN length with its grouping spaces", () => {
  assert.deepEqual(pinField(DEFAULT_LIMITS.pin_length), { maxLength: 7, placeholder: "000 000" });
  assert.deepEqual(pinField(4), { maxLength: 5, placeholder: "000 0" });
  assert.deepEqual(pinField(9), { maxLength: 11, placeholder: "000 000 000" });
  assert.deepEqual(pinField(3), { maxLength: 3, placeholder: "000" });
});
