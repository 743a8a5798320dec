/**
 * The agent console's service worker, served at /agent-sw.js with scope /agent: it shows the
 * server's Web Push notifications (docs/PROTOCOL.md, "Web Push") and brings the console forward
 * when one is clicked.
 *
 * It caches nothing and handles no fetch: conversations and tokens never land in a cache.
 *
 * A push's payload (JSON, all fields optional):
 *   {title, body}                  shown as they are, or
 *   {title_key, body_key, params}  keys of client/locales/<lang>.json, in the browser's language
 *                                  (English when missing), `{name}` placeholders from `params`;
 *   tag                            one notification per tag: a newer one replaces it (the console
 *                                  uses the same tag for its own in-page notification);
 *   url                            opened on click, a path under /agent (else /agent).
 *
 * On click: a console window already open is focused and sent
 * `{type: "covisor:open", url}` (postMessage), so it can open that conversation without a
 * reload; with none open, `url` opens in a new window.
 */

/* global self */

const LANGUAGES = ["en", "es", "de", "pl", "fr"];
const CONSOLE = "/agent";
const ICON = "/client/icons/icon-192.png";
const catalogues = new Map();

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
self.addEventListener("push", (event) => event.waitUntil(show(event.data)));
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(openConsole(event.notification.data?.url));
});

function payloadOf(data) {
  try {
    const parsed = data ? data.json() : {};
    return parsed && typeof parsed === "object" ? parsed : {};
  } catch {
    return {};
  }
}

function language() {
  for (const candidate of self.navigator?.languages ?? []) {
    const primary = String(candidate).toLowerCase().split(/[-_]/)[0];
    if (LANGUAGES.includes(primary)) return primary;
  }
  return "en";
}

async function catalogue(lang) {
  if (!catalogues.has(lang)) {
    catalogues.set(
      lang,
      fetch(`/client/locales/${lang}.json`, { credentials: "omit" })
        .then((response) => (response.ok ? response.json() : {}))
        .catch(() => ({})),
    );
  }
  return catalogues.get(lang);
}

function interpolate(template, params) {
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    Object.hasOwn(params, name) ? String(params[name]) : whole,
  );
}

async function translated(key, params) {
  if (typeof key !== "string" || !key) return null;
  const lang = language();
  const messages = await catalogue(lang);
  const english = lang === "en" ? messages : await catalogue("en");
  const template = messages[key] ?? english[key];
  return typeof template === "string" ? interpolate(template, params) : null;
}

/** `url` if it is a path of the console on this origin, else the console itself. */
function consoleUrl(url) {
  try {
    const target = new URL(url ?? CONSOLE, self.location.origin);
    if (target.origin === self.location.origin && target.pathname.startsWith(CONSOLE)) {
      return target.href;
    }
  } catch {
    // not a URL: fall through to the console
  }
  return new URL(CONSOLE, self.location.origin).href;
}

async function show(data) {
  const payload = payloadOf(data);
  const params = payload.params && typeof payload.params === "object" ? payload.params : {};
  const title =
    (await translated(payload.title_key, params)) ??
    (typeof payload.title === "string" ? payload.title : "Covisor");
  const body =
    (await translated(payload.body_key, params)) ??
    (typeof payload.body === "string" ? payload.body : "");
  const tag = typeof payload.tag === "string" ? payload.tag : undefined;
  await self.registration.showNotification(title, {
    body,
    tag,
    renotify: tag !== undefined,
    icon: ICON,
    data: { url: consoleUrl(payload.url) },
  });
}

async function openConsole(url) {
  const target = consoleUrl(url);
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const open = windows.find((client) => new URL(client.url).pathname.startsWith(CONSOLE));
  if (open) {
    await open.focus();
    open.postMessage({ type: "covisor:open", url: target });
    return;
  }
  await self.clients.openWindow(target);
}
