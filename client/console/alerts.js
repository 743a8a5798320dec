/**
 * The agent console's alerts, so an agent never misses a chat: a short sound, a desktop
 * notification while the tab is hidden, the unread count in the tab's title and favicon, and
 * Web Push for when the console is in the background or closed (docs/PROTOCOL.md, "Web Push").
 *
 * DOM-light: every browser API comes in through `createAlerts`, so node's unit tests hand it
 * fakes (client/tests/alerts.test.mjs). The console wires it; nothing here listens to the
 * conversation by itself.
 *
 *   const alerts = createAlerts({
 *     document,                                  // title, visibility, <link rel=icon>, canvas
 *     Notification: globalThis.Notification,     // absent: desktop notifications are skipped
 *     audio: () => new AudioContext(),           // made on the first ring, then reused
 *     storage: localStorage,                     // the sound toggle, "asked once"
 *     t,                                         // the console's translator (i18n.js)
 *     serviceWorker: navigator.serviceWorker,    // absent: no Web Push
 *   });
 *
 *   alerts.ring()                     → true if a sound played (sound on, audio available)
 *   alerts.soundOn() / setSound(bool) → the toggle, kept in localStorage `covisor:sound`
 *   alerts.notify(title, body, {tag, url, onClick})
 *                                     → a Notification, only when the document is hidden and
 *                                       permission is granted; else null. Same `tag` replaces.
 *   alerts.askPermissionOnce()        → "granted" | "denied" | "default" | "unsupported";
 *                                       asks the browser at most once (kept in localStorage
 *                                       `covisor:notifications-asked`); call it from a click.
 *   alerts.setUnread(n)               → "(n) " before the page title and a red badge on the
 *                                       favicon; 0 restores both.
 *   alerts.subscribePush(api)         → {status: "subscribed" | "unsupported" | "denied" |
 *                                       "default"}; registers /agent-sw.js (scope /agent),
 *                                       subscribes with the server's key and POSTs it.
 *   alerts.unsubscribePush(api)       → true if a subscription was dropped (on logout).
 *   alerts.text(kind, params)         → {title, body} of a "new_chat" or "new_message" alert
 *                                       in the console's language.
 *
 * `api` is an `Api` of api.js (its `request(method, path, body)`) with the agent's token.
 */

export const SOUND_KEY = "covisor:sound";
export const ASKED_KEY = "covisor:notifications-asked";
export const SERVICE_WORKER_URL = "/agent-sw.js";
export const SERVICE_WORKER_SCOPE = "/agent";
export const ICON_URL = "/client/icons/icon-192.png";

const BADGE_SIZE = 32;
const TITLE_PREFIX = /^\(\d+\+?\) /;

/** The bytes of a base64url string (a VAPID key), as `applicationServerKey` takes them. */
export function base64UrlToBytes(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  const binary = atob(padded);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** The count a title or badge shows: "1" … "99", then "99+". */
export function unreadLabel(n) {
  return n > 99 ? "99+" : String(n);
}

export function createAlerts({
  document,
  Notification = null,
  audio = null,
  storage,
  t,
  serviceWorker = null,
}) {
  let context = null;
  let baseIcon = null;
  let iconLink = null;
  let badged = null;

  function soundOn() {
    return storage.getItem(SOUND_KEY) !== "off";
  }

  function setSound(on) {
    storage.setItem(SOUND_KEY, on ? "on" : "off");
  }

  /** Two short rising tones, 120 ms each, quiet: heard, never startling. */
  function ring() {
    if (!soundOn() || !audio) return false;
    try {
      context ??= audio();
      if (context.state === "suspended") context.resume?.();
      const start = context.currentTime;
      for (const [offset, frequency] of [
        [0, 880],
        [0.16, 1320],
      ]) {
        const oscillator = context.createOscillator();
        const gain = context.createGain();
        oscillator.type = "sine";
        oscillator.frequency.value = frequency;
        gain.gain.setValueAtTime(0.0001, start + offset);
        gain.gain.exponentialRampToValueAtTime(0.2, start + offset + 0.01);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.12);
        oscillator.connect(gain);
        gain.connect(context.destination);
        oscillator.start(start + offset);
        oscillator.stop(start + offset + 0.13);
      }
      return true;
    } catch {
      // A browser that refuses audio before a user gesture: the other alerts still work.
      return false;
    }
  }

  function hidden() {
    return document.visibilityState === "hidden" || document.hidden === true;
  }

  function notify(title, body, { tag = undefined, url = undefined, onClick = undefined } = {}) {
    if (!Notification || Notification.permission !== "granted" || !hidden()) return null;
    const notification = new Notification(title, {
      body,
      tag,
      icon: ICON_URL,
      data: url === undefined ? {} : { url },
    });
    notification.onclick = () => {
      document.defaultView?.focus?.();
      onClick?.(url);
      notification.close?.();
    };
    return notification;
  }

  async function askPermissionOnce() {
    if (!Notification) return "unsupported";
    if (Notification.permission !== "default") return Notification.permission;
    if (storage.getItem(ASKED_KEY)) return "default";
    storage.setItem(ASKED_KEY, "1");
    return (await Notification.requestPermission()) ?? Notification.permission;
  }

  function link() {
    if (iconLink) return iconLink;
    iconLink = document.querySelector('link[rel~="icon"]');
    if (!iconLink) {
      iconLink = document.createElement("link");
      iconLink.rel = "icon";
      document.head.appendChild(iconLink);
    }
    baseIcon = iconLink.href ?? "";
    return iconLink;
  }

  function badge(n) {
    const canvas = document.createElement("canvas");
    canvas.width = BADGE_SIZE;
    canvas.height = BADGE_SIZE;
    const g = canvas.getContext?.("2d");
    if (!g) return null;
    const half = BADGE_SIZE / 2;
    g.fillStyle = "#2f5fd0";
    g.beginPath();
    g.arc(half, half, half - 2, 0, 2 * Math.PI);
    g.fill();
    g.fillStyle = "#d93025";
    g.beginPath();
    g.arc(BADGE_SIZE - 10, 10, 10, 0, 2 * Math.PI);
    g.fill();
    g.fillStyle = "#ffffff";
    g.font = `bold ${n > 9 ? 11 : 14}px sans-serif`;
    g.textAlign = "center";
    g.textBaseline = "middle";
    g.fillText(n > 99 ? "99" : String(n), BADGE_SIZE - 10, 11);
    return canvas.toDataURL("image/png");
  }

  function setUnread(n) {
    const count = Math.max(0, Math.floor(Number(n) || 0));
    const base = document.title.replace(TITLE_PREFIX, "");
    document.title = count > 0 ? `(${unreadLabel(count)}) ${base}` : base;
    const icon = link();
    // The console calls this on every render: a badge is drawn once per count, not each time.
    if (count > 0 && badged?.count !== count) badged = { count, url: badge(count) };
    icon.href = (count > 0 ? badged.url : null) ?? baseIcon;
  }

  async function subscribePush(api) {
    if (!serviceWorker || !Notification) return { status: "unsupported" };
    if (Notification.permission !== "granted") return { status: Notification.permission };
    const registration = await serviceWorker.register(SERVICE_WORKER_URL, {
      scope: SERVICE_WORKER_SCOPE,
    });
    if (!registration.pushManager) return { status: "unsupported" };
    const { public_key: publicKey } = await api.request("GET", "/api/push/key");
    let subscription = await registration.pushManager.getSubscription();
    if (subscription && !sameKey(subscription, publicKey)) {
      // Subscribed with another server's key (a re-keyed deployment): that one is useless.
      await subscription.unsubscribe();
      subscription = null;
    }
    subscription ??= await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: base64UrlToBytes(publicKey),
    });
    await api.request("POST", "/api/push/subscriptions", subscription.toJSON());
    return { status: "subscribed" };
  }

  async function unsubscribePush(api) {
    const registration = await serviceWorker?.getRegistration?.(SERVICE_WORKER_SCOPE);
    const subscription = await registration?.pushManager?.getSubscription();
    if (!subscription) return false;
    try {
      await api.request("DELETE", "/api/push/subscriptions", {
        endpoint: subscription.endpoint,
      });
    } finally {
      await subscription.unsubscribe();
    }
    return true;
  }

  function text(kind, params = {}) {
    if (kind === "new_chat") {
      return { title: t("alerts.new_chat.title"), body: t("alerts.new_chat.body", params) };
    }
    return { title: t("alerts.new_message.title", params), body: params.preview ?? "" };
  }

  return {
    ring,
    soundOn,
    setSound,
    notify,
    askPermissionOnce,
    setUnread,
    subscribePush,
    unsubscribePush,
    text,
  };
}

function sameKey(subscription, publicKey) {
  const key = subscription.options?.applicationServerKey;
  if (!key) return true;
  const bytes = new Uint8Array(key);
  const expected = base64UrlToBytes(publicKey);
  return bytes.length === expected.length && bytes.every((b, i) => b === expected[i]);
}
