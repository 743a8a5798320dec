/**
 * What the Catalogue feed panel (feed.js) works out without a DOM: the schedule's interval as
 * "every N minutes/hours" and back, the checks of the feed form, an import's duration, counts
 * and times in the admin's language, the text of a refusal, and `ImportWatch`, which asks for
 * a running import about every second until it is over (timers injected, so node tests drive it
 * with fake time).
 */

import { errorText } from "../../shared/i18n.js";
import { scheduleWithTimeout } from "../../shared/schedule.js";

/** The schedule's bounds in minutes (`PUT /api/catalogue/feed`: 15 minutes to 7 days). */
export const MIN_MINUTES = 15;
export const MAX_MINUTES = 7 * 24 * 60;
export const DEFAULT_MINUTES = 6 * 60;
export const MAX_URL = 2048;
/** Per-product errors an import's report keeps at most (the server's `MAX_ERRORS`). */
export const MAX_ERRORS = 500;
/** Milliseconds between two looks at a running import. */
export const POLL_MS = 1000;
export const UNITS = Object.freeze(["minutes", "hours"]);
/** The counts of an import, in the order they are shown. */
export const COUNTS = Object.freeze(["added", "updated", "unchanged", "removed", "failed"]);

/** `every_minutes` as the form shows it: whole hours as hours, anything else as minutes. */
export function splitInterval(minutes) {
  const value = Number(minutes);
  if (!Number.isInteger(value) || value <= 0) return splitInterval(DEFAULT_MINUTES);
  return value % 60 === 0
    ? { amount: value / 60, unit: "hours" }
    : { amount: value, unit: "minutes" };
}

/** The minutes of an amount typed in the form (`"6"`, `"hours"` → 360), or null. */
export function intervalMinutes(amount, unit) {
  const text = String(amount ?? "").trim();
  if (!/^\d{1,6}$/.test(text) || !UNITS.includes(unit)) return null;
  return Number(text) * (unit === "hours" ? 60 : 1);
}

/**
 * What is wrong with a feed URL, as a locale key, or null when the server may have it: an
 * absolute `http:` or `https:` URL of at most 2048 characters, without a user name or password.
 * (The server decides whether its host is public.)
 */
export function urlProblem(url) {
  const text = String(url ?? "").trim();
  if (!text) return "feed.url_missing";
  let parsed = null;
  try {
    parsed = new URL(text);
  } catch {
    parsed = null;
  }
  if (!parsed || !["http:", "https:"].includes(parsed.protocol) || !parsed.hostname)
    return "feed.url_invalid";
  if (text.length > MAX_URL) return "feed.url_too_long";
  if (parsed.username || parsed.password) return "feed.url_credentials";
  return null;
}

/** What is wrong with a schedule (`url`, `amount`, `unit` as typed), as a locale key, or null. */
export function scheduleProblem({ url, amount, unit }) {
  const minutes = intervalMinutes(amount, unit);
  if (minutes === null || minutes < MIN_MINUTES || minutes > MAX_MINUTES)
    return "feed.every_invalid";
  return urlProblem(url);
}

/** `n` with the language's digit grouping ("12,345", "12 345", "12.345"). */
export function formatCount(t, n) {
  return new Intl.NumberFormat(t.lang).format(Number(n) || 0);
}

/**
 * Milliseconds for people, in `t`'s language: "–" without a value, "412 ms" below a second,
 * "1.5 s" below ten (one decimal), "42 s", "3 min 5 s", "2 h 4 min".
 */
export function formatElapsed(t, ms) {
  if (ms === null || ms === undefined || !Number.isFinite(Number(ms))) return "–";
  const value = Math.max(0, Number(ms));
  if (value < 999.5) return t("feed.duration_ms", { ms: Math.round(value) });
  if (value < 9950) {
    const seconds = new Intl.NumberFormat(t.lang, {
      minimumFractionDigits: 1,
      maximumFractionDigits: 1,
    }).format(value / 1000);
    return t("feed.duration_seconds", { seconds });
  }
  const total = Math.round(value / 1000);
  if (total < 60) return t("feed.duration_seconds", { seconds: total });
  if (total < 3600) {
    const rest = total % 60;
    const minutes = Math.floor(total / 60);
    return rest
      ? t("feed.duration_minutes_seconds", { minutes, seconds: rest })
      : t("feed.duration_minutes", { minutes });
  }
  const hours = Math.floor(total / 3600);
  const minutes = Math.round((total % 3600) / 60);
  return minutes
    ? t("feed.duration_hours_minutes", { hours, minutes })
    : t("feed.duration_hours", { hours });
}

/** "312 read: 20 added, 5 updated, 280 unchanged, 2 removed, 5 failed" in `t`'s language. */
export function countsLine(t, record) {
  const params = { processed: formatCount(t, record?.processed) };
  for (const name of COUNTS) params[name] = formatCount(t, record?.[name]);
  return t("feed.counts", params);
}

/** How often the feed is fetched, in words: "every 6 hours", "every 90 minutes". */
export function intervalText(t, minutes) {
  const { amount, unit } = splitInterval(minutes);
  return t(unit === "hours" ? "feed.every_hours_text" : "feed.every_minutes_text", {
    n: formatCount(t, amount),
  });
}

/**
 * A moment (ms since the epoch) for a list: the time of day when it is on `now`'s day, else
 * the date and the time, in `t`'s language and the browser's zone.
 */
export function formatWhen(t, at, now = Date.now()) {
  const date = new Date(at);
  const today = new Date(now);
  const sameDay =
    date.getFullYear() === today.getFullYear() &&
    date.getMonth() === today.getMonth() &&
    date.getDate() === today.getDate();
  const options = sameDay
    ? { hour: "2-digit", minute: "2-digit" }
    : { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" };
  return new Intl.DateTimeFormat(t.lang, options).format(date);
}

/**
 * What a refusal of the server says, under `prefix` (`feed.error.conflict`, …, else the
 * generic `error.…`). A `bad_request` or `too_large` also shows the server's own message,
 * which names what it refused ("url must be https on a public host").
 */
export function refusalText(t, error, prefix) {
  const text = errorText(t, error, prefix);
  const message = String(error?.message ?? "").trim();
  if (["bad_request", "too_large"].includes(error?.code) && message && message !== error.code)
    return t("feed.refused", { text, message });
  return text;
}

/** What a finished import's report says of its per-product errors: listed, or the first 500. */
export function errorsNote(t, record) {
  const listed = record?.errors?.length ?? 0;
  if (!listed) return null;
  return listed >= MAX_ERRORS
    ? t("feed.errors_first", { n: formatCount(t, MAX_ERRORS) })
    : t("feed.errors_all", { n: formatCount(t, listed) });
}

/**
 * Follows one running import: `GET /api/catalogue/imports/{id}` now and then every `every` ms
 * (one request at a time: the next is timed from the previous answer) until its `state` is no
 * longer `running`. `onUpdate(record)` gets every answer, `onDone(record)` the last one,
 * `onError(error)` a failed look (the watch goes on unless the import is gone or the token
 * refused, `not_found`/`unauthorized`/`forbidden`, when it stops). `active()` is asked before
 * every look: false stops the watch (the panel was closed; it starts again when it is opened).
 */
export class ImportWatch {
  #get;
  #schedule;
  #every;
  #active;
  #handlers;
  #cancel = null;
  #id = null;
  #generation = 0;

  /**
   * @param {object} options
   * @param {(id: string) => Promise<object>} options.get the import's record
   * @param {{onUpdate?: Function, onDone?: Function, onError?: Function}} [options.handlers]
   * @param {import("../../shared/schedule.js").Schedule} [options.schedule]
   * @param {number} [options.every] ms between two looks
   * @param {() => boolean} [options.active]
   */
  constructor({
    get,
    handlers = {},
    schedule = scheduleWithTimeout,
    every = POLL_MS,
    active = () => true,
  }) {
    this.#get = get;
    this.#schedule = schedule;
    this.#every = every;
    this.#active = active;
    this.#handlers = { onUpdate() {}, onDone() {}, onError() {}, ...handlers };
  }

  /** The import being watched, or null. */
  get id() {
    return this.#id;
  }

  /** Watch import `id` (any earlier watch stops); the first look is now. */
  start(id) {
    this.stop();
    this.#id = id;
    const generation = ++this.#generation;
    this.#look(generation);
  }

  /** Stop looking; an answer still on its way is dropped. */
  stop() {
    this.#generation += 1;
    this.#cancel?.();
    this.#cancel = null;
    this.#id = null;
  }

  async #look(generation) {
    this.#cancel = null;
    if (!this.#active()) {
      this.stop();
      return;
    }
    const id = this.#id;
    let record;
    try {
      record = await this.#get(id);
    } catch (error) {
      if (generation !== this.#generation) return;
      this.#handlers.onError(error);
      if (["not_found", "unauthorized", "forbidden"].includes(error?.code)) {
        this.stop();
        return;
      }
      this.#cancel = this.#schedule(() => this.#look(generation), this.#every);
      return;
    }
    if (generation !== this.#generation) return;
    this.#handlers.onUpdate(record);
    if (record?.state === "running") {
      this.#cancel = this.#schedule(() => this.#look(generation), this.#every);
      return;
    }
    this.#id = null;
    this.#handlers.onDone(record);
  }
}
