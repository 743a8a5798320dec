/**
 * The shopper's chat widget, embedded with one tag (this file's URL is the one shops use):
 *
 *   <script type="module" src="https://shop/client/widget.js" data-server="https://shop"
 *           data-lang="de"></script>
 *
 * This entry module reads its own tag's settings, loads the language (`client/locales/`) and the
 * server's limits (`GET /api/config`), mounts the widget (widget/widget.js, once per page) and
 * installs `window.covisor`, the page's handle on it. It has to stay at `client/widget.js`: it
 * finds its script tag by its own URL, and shops embed that URL. docs/CLIENT.md describes the
 * tag's `data-*` settings and `window.covisor`.
 */

import { Api } from "./shared/api.js";
import { loadTranslator, pickLanguage } from "./shared/i18n.js";
import { CONFIG_PATH, loadLimits } from "./shared/protocol.js";
import { PRECHAT_MODES } from "./widget/visitor.js";
import { Widget } from "./widget/widget.js";

const CLIENT_BASE = new URL("./", import.meta.url);

/** The `<script>` that loaded this module (module scripts have no `document.currentScript`). */
function ownScriptTag() {
  const self = new URL(import.meta.url);
  for (const script of document.querySelectorAll("script[src]")) {
    const url = new URL(script.src, document.baseURI);
    if (url.origin === self.origin && url.pathname === self.pathname) return script;
  }
  return null;
}

/**
 * Read the script tag's settings, load the language and the server's limits, and mount the widget
 * (once per page).
 */
async function mount() {
  if (window.covisorWidget) return null;
  const script = ownScriptTag();
  const origin = new URL(script?.dataset.server || new URL(import.meta.url).origin).origin;
  // Only the shop's `data-lang` insists; otherwise the shopper's own browser, and the page's
  // `<html lang>` only when the browser speaks none of the widget's languages.
  const lang = pickLanguage(
    script?.dataset.lang,
    navigator.languages ?? [navigator.language],
    document.documentElement.lang,
  );
  // One `GET /api/config` for the limits (with their timeout and defaults) and `prechat`.
  const api = new Api(origin);
  let answer = null;
  const recording = {
    get: (path) =>
      api.get(path).then((body) => {
        if (path === CONFIG_PATH) answer = body;
        return body;
      }),
  };
  const [t, limits] = await Promise.all([
    loadTranslator(new URL("locales/", CLIENT_BASE), lang),
    loadLimits(recording),
  ]);
  const prechat = PRECHAT_MODES.includes(answer?.prechat) ? answer.prechat : "off";
  const data = script?.dataset ?? {};
  const config = {
    team: data.team?.trim().slice(0, 80),
    avatar: data.avatar ? new URL(data.avatar, document.baseURI).href : "",
    greeting: data.greeting?.trim().slice(0, 500),
    replyMinutes: data.replyMinutes,
    visitorHeartbeat: answer?.visitor_heartbeat,
  };
  const mail = answer?.email === true;
  window.covisorWidget = new Widget({ origin, t, limits, config, prechat, mail });
  return window.covisorWidget;
}

const API_METHODS = [
  "identify",
  "open",
  "close",
  "invite",
  "trigger",
  "trackConversion",
  "setCart",
  "setProduct",
  "onAddToCart",
];
/** Marks the real `window.covisor` (a second copy of this script keeps the first one's). */
const API_MARK = Symbol.for("covisor.widget");

/**
 * `window.covisor`, the page's handle on the widget: `identify(visitor, signature)`, `open()`,
 * `close()`, each returning a promise. Calls made before the widget is mounted wait for it, in
 * order; so do calls a page queued before this script ran, in a stub's `q` of
 * `[name, arguments]` (docs/CLIENT.md has the snippet).
 */
function installApi(ready) {
  if (window.covisor?.[API_MARK]) return;
  const early = Array.isArray(window.covisor?.q) ? window.covisor.q : [];
  const call = (name, args) =>
    ready.then((widget) => {
      if (!widget) throw new Error("covisor: the widget did not start");
      return widget[name](...args);
    });
  const handle = Object.fromEntries(
    API_METHODS.map((name) => [name, (...args) => call(name, args)]),
  );
  window.covisor = Object.freeze({ ...handle, [API_MARK]: true });
  for (const [name, args] of early) {
    if (API_METHODS.includes(name)) call(name, Array.from(args ?? [])).catch(console.error);
  }
}

const started = new Promise((resolve) => {
  const start = () =>
    mount().then(resolve, (error) => {
      resolve(null);
      throw error;
    });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start, { once: true });
  } else {
    start();
  }
});
installApi(started.then((widget) => widget ?? window.covisorWidget ?? null));
