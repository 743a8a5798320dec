/**
 * User-visible strings. Every text the widget and the console show comes from
 * `locales/<lang>.json` through a translator; English is the fallback for a missing key.
 *
 * Language choice, first match wins: the shop's `data-lang` on the script tag (the one way a
 * shop insists), the browser's `navigator.languages`, then the page's `<html lang>`; each is
 * reduced to its primary subtag ("de-AT" → "de") and must be one of `LANGUAGES`, else English.
 */

export const LANGUAGES = Object.freeze(["en", "es", "de", "pl", "fr"]);
export const FALLBACK_LANGUAGE = "en";

/** The first supported language among the candidates (strings or empty values). */
export function pickLanguage(...candidates) {
  for (const candidate of candidates.flat()) {
    const primary = String(candidate ?? "")
      .trim()
      .toLowerCase()
      .split(/[-_]/)[0];
    if (LANGUAGES.includes(primary)) return primary;
  }
  return FALLBACK_LANGUAGE;
}

/** Replace `{name}` placeholders with `params[name]` (missing ones stay visible). */
export function interpolate(template, params = {}) {
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    Object.hasOwn(params, name) ? String(params[name]) : whole,
  );
}

/**
 * The form of a plural message (`{"one": "…", "other": "…"}`, the categories of
 * `Intl.PluralRules` in the message's language: Polish has `few` and `many` too) for `count`;
 * `other` when the category is missing. A plain string is its own form.
 */
export function pluralForm(rules, entry, count) {
  if (typeof entry !== "object" || entry === null) return entry;
  return entry[rules.select(Number(count))] ?? entry.other;
}

/**
 * A translator function `t(key, params)` over `messages`, falling back to `fallback` and then to
 * the key itself (so a missing string is visible, not blank). A message may have plural forms,
 * picked by `params.count` with `Intl.PluralRules` (`pluralForm`). `t.lang` is the language;
 * `t.has(key)` tells whether a key exists, for texts picked by a server-sent code
 * (`t.has(`error.${code}`) ? … : generic`).
 */
export function createTranslator(lang, messages, fallback = {}) {
  const rules = new Intl.PluralRules(lang);
  const t = (key, params) =>
    interpolate(pluralForm(rules, messages[key] ?? fallback[key] ?? key, params?.count), params);
  t.lang = lang;
  t.has = (key) => Object.hasOwn(messages, key) || Object.hasOwn(fallback, key);
  return t;
}

/** The text for a PROTOCOL.md error code under `prefix` ("error", "pin.error", …). */
export function errorText(t, error, prefix = "error") {
  const key = `${prefix}.${error?.code ?? "internal"}`;
  const params = { seconds: Math.ceil(Number(error?.retryAfter ?? error?.retry_after) || 1) };
  if (t.has(key)) return t(key, params);
  return t.has(`error.${error?.code}`) ? t(`error.${error.code}`, params) : t("error.internal");
}

async function fetchJson(url) {
  const response = await fetch(url, { credentials: "omit" });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

/**
 * Load the catalogue for `lang` (and English as fallback) from `localesUrl` (ending in "/").
 * A catalogue that fails to load degrades to English rather than breaking the widget.
 */
export async function loadTranslator(localesUrl, lang) {
  const english = await fetchJson(new URL(`${FALLBACK_LANGUAGE}.json`, localesUrl));
  if (lang === FALLBACK_LANGUAGE) return createTranslator(lang, english);
  try {
    const messages = await fetchJson(new URL(`${lang}.json`, localesUrl));
    return createTranslator(lang, messages, english);
  } catch {
    return createTranslator(FALLBACK_LANGUAGE, english);
  }
}

/** A language's name in the reader's language `lang` (`es` → "Spanish"), the code if unknown. */
export function languageName(lang, code) {
  try {
    return new Intl.DisplayNames([lang], { type: "language" }).of(code) ?? code;
  } catch {
    return code;
  }
}

/** Local time of day for a server timestamp (ms), in the translator's language. */
export function formatTime(t, at) {
  return new Intl.DateTimeFormat(t.lang, { hour: "2-digit", minute: "2-digit" }).format(
    new Date(at),
  );
}

/** `m:ss` (or `h:mm:ss`) for a media position in seconds. */
export function formatDuration(seconds) {
  const total = Math.max(0, Math.floor(Number.isFinite(seconds) ? seconds : 0));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}
