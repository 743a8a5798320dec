import assert from "node:assert/strict";
import { test } from "node:test";

import {
  ASKED_KEY,
  SERVICE_WORKER_SCOPE,
  SERVICE_WORKER_URL,
  SOUND_KEY,
  base64UrlToBytes,
  createAlerts,
  unreadLabel,
} from "../../console/alerts.js";
import { createTranslator } from "../../shared/i18n.js";

class FakeStorage {
  constructor() {
    this.items = new Map();
  }
  getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  }
  setItem(key, value) {
    this.items.set(key, String(value));
  }
}

class FakeCanvas {
  constructor() {
    this.calls = [];
  }
  getContext() {
    const calls = this.calls;
    return new Proxy(
      {},
      {
        get: (_, name) => (...args) => calls.push([name, ...args]),
        set: (_, name, value) => (calls.push([`set ${String(name)}`, value]), true),
      },
    );
  }
  toDataURL() {
    const text = this.calls.find(([name]) => name === "fillText");
    return `data:image/png;badge=${text?.[1]}`;
  }
}

function fakeDocument({ visibility = "hidden", icon = "data:," } = {}) {
  const head = { children: [], appendChild: (el) => head.children.push(el) };
  const link = icon === null ? null : { rel: "icon", href: icon };
  const focused = [];
  return {
    title: "Covisor",
    visibilityState: visibility,
    head,
    focused,
    defaultView: { focus: () => focused.push(true) },
    querySelector: (selector) =>
      selector.includes("icon") ? (link ?? head.children.find((el) => el.rel === "icon")) : null,
    createElement: (name) => (name === "canvas" ? new FakeCanvas() : { rel: "", href: "" }),
  };
}

function fakeNotification(permission = "granted", answer = "granted") {
  const shown = [];
  class Notification {
    static permission = permission;
    static asked = 0;
    static async requestPermission() {
      Notification.asked += 1;
      Notification.permission = answer;
      return answer;
    }
    constructor(title, options) {
      this.title = title;
      this.options = options;
      this.closed = false;
      shown.push(this);
    }
    close() {
      this.closed = true;
    }
  }
  Notification.shown = shown;
  return Notification;
}

function fakeAudio() {
  const made = [];
  const factory = () => {
    const context = {
      state: "running",
      currentTime: 10,
      destination: {},
      oscillators: [],
      createOscillator() {
        const oscillator = {
          frequency: { value: 0 },
          connect() {},
          start(at) {
            this.startedAt = at;
          },
          stop(at) {
            this.stoppedAt = at;
          },
        };
        context.oscillators.push(oscillator);
        return oscillator;
      },
      createGain() {
        return {
          gain: { setValueAtTime() {}, exponentialRampToValueAtTime() {} },
          connect() {},
        };
      },
    };
    made.push(context);
    return context;
  };
  factory.made = made;
  return factory;
}

const t = createTranslator("en", {
  "alerts.new_chat.title": "New chat",
  "alerts.new_chat.body": "{name} is waiting",
  "alerts.new_message.title": "Message from {name}",
});

function alerts(overrides = {}) {
  const deps = {
    document: fakeDocument(),
    Notification: fakeNotification(),
    audio: fakeAudio(),
    storage: new FakeStorage(),
    t,
    ...overrides,
  };
  return { deps, alerts: createAlerts(deps) };
}

test("ring plays two short tones on one reused audio context, sound on by default", () => {
  const { deps, alerts: a } = alerts();
  assert.equal(a.soundOn(), true);
  assert.equal(a.ring(), true);
  assert.equal(a.ring(), true);
  assert.equal(deps.audio.made.length, 1);
  const [first, second] = deps.audio.made[0].oscillators;
  assert.equal(first.frequency.value, 880);
  assert.ok(second.startedAt > first.startedAt && second.stoppedAt - second.startedAt < 0.2);
});

test("the sound toggle is kept in storage and silences ring", () => {
  const storage = new FakeStorage();
  const { deps, alerts: a } = alerts({ storage });
  a.setSound(false);
  assert.equal(storage.getItem(SOUND_KEY), "off");
  assert.equal(a.ring(), false);
  assert.equal(deps.audio.made.length, 0);
  assert.equal(createAlerts({ ...deps, storage }).soundOn(), false);
  a.setSound(true);
  assert.equal(a.ring(), true);
});

test("ring without audio, or with audio refused, is a quiet no", () => {
  assert.equal(alerts({ audio: null }).alerts.ring(), false);
  const refusing = () => {
    throw new Error("NotAllowedError");
  };
  assert.equal(alerts({ audio: refusing }).alerts.ring(), false);
});

test("notify shows a notification only while the document is hidden", () => {
  const Notification = fakeNotification();
  const visible = alerts({ Notification, document: fakeDocument({ visibility: "visible" }) });
  assert.equal(visible.alerts.notify("New chat", "Ann"), null);
  const { deps, alerts: a } = alerts({ Notification });
  const clicked = [];
  const shown = a.notify("New chat", "Ann is waiting", {
    tag: "c_1",
    url: "/agent#c_1",
    onClick: (url) => clicked.push(url),
  });
  assert.equal(Notification.shown.length, 1);
  assert.equal(shown.title, "New chat");
  assert.equal(shown.options.body, "Ann is waiting");
  assert.equal(shown.options.tag, "c_1");
  assert.deepEqual(shown.options.data, { url: "/agent#c_1" });
  shown.onclick();
  assert.deepEqual(clicked, ["/agent#c_1"]);
  assert.equal(deps.document.focused.length, 1);
  assert.equal(shown.closed, true);
});

test("notify needs permission and a Notification API", () => {
  for (const permission of ["default", "denied"]) {
    const Notification = fakeNotification(permission);
    assert.equal(alerts({ Notification }).alerts.notify("x", "y"), null);
    assert.equal(Notification.shown.length, 0);
  }
  assert.equal(alerts({ Notification: null }).alerts.notify("x", "y"), null);
});

test("askPermissionOnce asks the browser at most once, remembered in storage", async () => {
  const storage = new FakeStorage();
  const Notification = fakeNotification("default", "default");
  const a = alerts({ Notification, storage }).alerts;
  assert.equal(await a.askPermissionOnce(), "default");
  assert.equal(await a.askPermissionOnce(), "default");
  assert.equal(Notification.asked, 1);
  assert.equal(storage.getItem(ASKED_KEY), "1");
  const again = alerts({ Notification, storage }).alerts;
  assert.equal(await again.askPermissionOnce(), "default");
  assert.equal(Notification.asked, 1);
});

test("askPermissionOnce answers a decided permission without asking", async () => {
  for (const permission of ["granted", "denied"]) {
    const Notification = fakeNotification(permission);
    assert.equal(await alerts({ Notification }).alerts.askPermissionOnce(), permission);
    assert.equal(Notification.asked, 0);
  }
  assert.equal(await alerts({ Notification: null }).alerts.askPermissionOnce(), "unsupported");
});

test("setUnread prefixes the title and badges the favicon, and 0 restores both", () => {
  const document = fakeDocument({ icon: "/client/icon.png" });
  const a = alerts({ document }).alerts;
  a.setUnread(3);
  assert.equal(document.title, "(3) Covisor");
  const link = document.querySelector("link[rel~=icon]");
  assert.equal(link.href, "data:image/png;badge=3");
  a.setUnread(120);
  assert.equal(document.title, "(99+) Covisor");
  assert.equal(link.href, "data:image/png;badge=99");
  a.setUnread(0);
  assert.equal(document.title, "Covisor");
  assert.equal(link.href, "/client/icon.png");
});

test("setUnread draws a badge once per count, however often it is called", () => {
  const document = fakeDocument({ icon: "/client/icon.png" });
  let canvases = 0;
  const create = document.createElement;
  document.createElement = (name) => {
    if (name === "canvas") canvases += 1;
    return create(name);
  };
  const a = alerts({ document }).alerts;
  for (const n of [2, 2, 2, 0, 2, 5]) a.setUnread(n);
  assert.equal(canvases, 2, "one for 2, one for 5");
  assert.equal(document.querySelector("link[rel~=icon]").href, "data:image/png;badge=5");
});

test("setUnread adds a favicon link when the page has none", () => {
  const document = fakeDocument({ icon: null });
  alerts({ document }).alerts.setUnread(2);
  assert.equal(document.head.children.length, 1);
  assert.equal(document.head.children[0].rel, "icon");
  assert.equal(document.head.children[0].href, "data:image/png;badge=2");
});

test("unread labels and base64url keys", () => {
  assert.equal(unreadLabel(7), "7");
  assert.equal(unreadLabel(100), "99+");
  assert.deepEqual([...base64UrlToBytes("AP-_")], [0x00, 0xff, 0xbf]);
  assert.equal(base64UrlToBytes("B".repeat(87)).length, 65);
});

function fakePush({ existing = null } = {}) {
  const calls = [];
  const subscription = (key) => ({
    endpoint: "https://push.example/abc",
    options: { applicationServerKey: key?.buffer ?? null },
    unsubscribed: false,
    async unsubscribe() {
      this.unsubscribed = true;
      calls.push(["unsubscribe"]);
      return true;
    },
    toJSON() {
      return { endpoint: this.endpoint, keys: { p256dh: "P", auth: "A" } };
    },
  });
  const pushManager = {
    current: existing ? subscription(existing) : null,
    async getSubscription() {
      return this.current;
    },
    async subscribe(options) {
      calls.push(["subscribe", options]);
      this.current = subscription(options.applicationServerKey);
      return this.current;
    },
  };
  const registration = { pushManager };
  const serviceWorker = {
    async register(url, options) {
      calls.push(["register", url, options]);
      return registration;
    },
    async getRegistration(scope) {
      calls.push(["getRegistration", scope]);
      return registration;
    },
  };
  const api = {
    async request(method, path, body) {
      calls.push([method, path, body]);
      return method === "GET" ? { public_key: "AQID" } : null;
    },
  };
  return { calls, serviceWorker, api, pushManager };
}

test("subscribePush registers the worker, subscribes with the server key, posts it", async () => {
  const push = fakePush();
  const a = alerts({ serviceWorker: push.serviceWorker }).alerts;
  assert.deepEqual(await a.subscribePush(push.api), { status: "subscribed" });
  const [register, getKey, subscribe, post] = push.calls;
  assert.deepEqual(register, ["register", SERVICE_WORKER_URL, { scope: SERVICE_WORKER_SCOPE }]);
  assert.deepEqual(getKey, ["GET", "/api/push/key", undefined]);
  assert.equal(subscribe[1].userVisibleOnly, true);
  assert.deepEqual([...subscribe[1].applicationServerKey], [1, 2, 3]);
  assert.deepEqual(post, [
    "POST",
    "/api/push/subscriptions",
    { endpoint: "https://push.example/abc", keys: { p256dh: "P", auth: "A" } },
  ]);
});

test("subscribePush reuses a subscription made with the same key, replaces another", async () => {
  const same = fakePush({ existing: new Uint8Array([1, 2, 3]) });
  await alerts({ serviceWorker: same.serviceWorker }).alerts.subscribePush(same.api);
  assert.deepEqual(
    same.calls.map(([name]) => name),
    ["register", "GET", "POST"],
  );
  const other = fakePush({ existing: new Uint8Array([9, 9, 9]) });
  await alerts({ serviceWorker: other.serviceWorker }).alerts.subscribePush(other.api);
  assert.deepEqual(
    other.calls.map(([name]) => name),
    ["register", "GET", "unsubscribe", "subscribe", "POST"],
  );
});

test("subscribePush does nothing without permission or support", async () => {
  const push = fakePush();
  const denied = alerts({
    serviceWorker: push.serviceWorker,
    Notification: fakeNotification("denied"),
  });
  assert.deepEqual(await denied.alerts.subscribePush(push.api), { status: "denied" });
  assert.deepEqual(await alerts().alerts.subscribePush(push.api), { status: "unsupported" });
  assert.deepEqual(push.calls, []);
});

test("unsubscribePush tells the server and drops the browser's subscription", async () => {
  const push = fakePush({ existing: new Uint8Array([1, 2, 3]) });
  const a = alerts({ serviceWorker: push.serviceWorker }).alerts;
  assert.equal(await a.unsubscribePush(push.api), true);
  assert.deepEqual(push.calls, [
    ["getRegistration", SERVICE_WORKER_SCOPE],
    ["DELETE", "/api/push/subscriptions", { endpoint: "https://push.example/abc" }],
    ["unsubscribe"],
  ]);
  assert.equal(await alerts().alerts.unsubscribePush(push.api), false);
});

test("alert texts come from the translator", () => {
  const a = alerts().alerts;
  assert.deepEqual(a.text("new_chat", { name: "Ann" }), {
    title: "New chat",
    body: "Ann is waiting",
  });
  assert.deepEqual(a.text("new_message", { name: "Ann", preview: "In blue?" }), {
    title: "Message from Ann",
    body: "In blue?",
  });
});
