import assert from "node:assert/strict";
import { test } from "node:test";

import { liveVisitors, onSiteLabel, pathOf } from "../../console/visitors.js";
import { Events } from "../../shared/protocol.js";
import {
  VisitorTracker,
  conversationPage,
  conversionItems,
  pagePart,
  usableCredential,
} from "../../widget/visitor-tracker.js";

test("pages are reported without their query string or fragment", () => {
  assert.equal(
    pagePart("https://shop.example/checkout/done?email=ana%40x.es&order=9#top"),
    "https://shop.example/checkout/done",
  );
  assert.equal(pagePart("javascript:alert(1)"), null);
  assert.equal(pagePart("not a url"), null);
});

test("a credential is renewed once half its life is gone", () => {
  const stored = { id: "v_1", token: "g.x", issued_at: 0, expires_at: 1000 };
  assert.equal(usableCredential(stored, 400), stored);
  assert.equal(usableCredential(stored, 600), null);
  assert.equal(usableCredential({ ...stored, token: "" }, 10), null);
  assert.equal(usableCredential(null, 10), null);
});

/** A fake socket.io-client socket that records what is emitted and answers it. */
function fakeIo() {
  const sockets = [];
  const io = (origin, options) => {
    const handlers = {};
    const socket = {
      origin,
      options,
      connected: true,
      connects: 0,
      emitted: [],
      on: (name, handler) => (handlers[name] = handler),
      emit: (event, payload, ack) => {
        socket.emitted.push([event, payload]);
        ack?.({ ok: true });
      },
      timeout: () => ({ emit: (event, payload, ack) => ack(null, { ok: true, event, payload }) }),
      connect: () => (socket.connects += 1),
      disconnect: () => (socket.connected = false),
      fire: (name, ...args) => handlers[name]?.(...args),
      /** The `auth` socket.io-client would send now (it calls the function at each connection). */
      auth: () => {
        let sent = null;
        options.auth((auth) => (sent = auth));
        return sent;
      },
    };
    sockets.push(socket);
    return socket;
  };
  return { io, sockets };
}

/** A tracker on the shop's home page, with no stored credential and timers that never fire. */
function homePageTracker(io) {
  return new VisitorTracker({
    origin: "https://covisor.example",
    api: fakeApi(),
    io,
    storage: null,
    page: () => ({ url: "https://shop.example/", title: "Home", referrer: "" }),
    heartbeatMs: 30_000,
    timers: { setInterval: () => 1, clearInterval: () => {} },
  });
}

function memoryStorage() {
  const data = new Map();
  return {
    getItem: (key) => data.get(key) ?? null,
    setItem: (key, value) => data.set(key, String(value)),
    removeItem: (key) => data.delete(key),
    data,
  };
}

function fakeApi() {
  const calls = [];
  const api = {
    calls,
    post: async (path, body) => {
      calls.push(["POST", path, body, null]);
      return { id: "v_new", token: "g.new", expires_at: 10_000_000 };
    },
    withToken: (token) => ({
      post: async (path, body) => {
        calls.push(["POST", path, body, token]);
        return { ok: true };
      },
    }),
  };
  return api;
}

test("the tracker keeps one visitor, brings the page with each connection and heartbeats", async () => {
  const { io, sockets } = fakeIo();
  const storage = memoryStorage();
  const api = fakeApi();
  let tick = null;
  const timers = { setInterval: (fn) => (tick = fn), clearInterval: () => {} };
  const tracker = new VisitorTracker({
    origin: "https://covisor.example",
    api,
    io,
    storage,
    page: () => ({
      url: "https://shop.example/boots?utm=x",
      title: "Boots",
      referrer: "https://search.example/q?s=boots",
    }),
    heartbeatMs: 30_000,
    now: () => 1000,
    timers,
  });
  assert.equal(await tracker.start(), true);
  assert.deepEqual(api.calls[0], ["POST", "/api/visitors", {}, null]);
  assert.equal(tracker.token, "g.new");
  const [socket] = sockets;
  assert.deepEqual(socket.auth(), {
    token: "g.new",
    page: {
      url: "https://shop.example/boots",
      title: "Boots",
      referrer: "https://search.example/q",
    },
  });
  let reported = 0;
  tracker.addEventListener("reported", () => (reported += 1));
  socket.fire("connect");
  assert.equal(reported, 1, "the connection brought the page: no event of its own");
  assert.deepEqual(socket.emitted, []);
  tick();
  assert.deepEqual(socket.emitted, [[Events.VISITOR_PING, {}]]);

  const again = new VisitorTracker({
    origin: "https://covisor.example",
    api,
    io,
    storage,
    page: () => ({ url: "https://shop.example/", title: "", referrer: "" }),
    heartbeatMs: 30_000,
    now: () => 2000,
    timers,
  });
  await again.start();
  assert.equal(api.calls.length, 1, "the kept credential is used, not a new visitor");
  assert.equal(again.token, "g.new");
});

test("a page the server refuses is left out, and the socket connects without it", async () => {
  const { io, sockets } = fakeIo();
  const tracker = homePageTracker(io);
  let reported = 0;
  tracker.addEventListener("reported", () => (reported += 1));
  await tracker.start();
  const [socket] = sockets;
  assert.equal(socket.auth().page.url, "https://shop.example/");
  socket.fire("connect_error", { data: { code: "bad_request" } });
  assert.equal(socket.connects, 1);
  assert.deepEqual(socket.auth(), { token: "g.new" });
  socket.fire("connect");
  assert.equal(reported, 0, "no page was taken");
  socket.fire("connect_error", { data: { code: "bad_request" } });
  assert.equal(socket.connects, 1, "refused without a page: not tried again");
});

test("a file: page brings no page; what the shop told follows each page brought", async () => {
  const { io, sockets } = fakeIo();
  let href = "file:///home/ana/shop.html";
  const tracker = new VisitorTracker({
    origin: "https://covisor.example",
    api: fakeApi(),
    io,
    storage: null,
    page: () => ({ url: href, title: "Shop", referrer: "" }),
    heartbeatMs: 30_000,
    timers: { setInterval: () => 1, clearInterval: () => {} },
  });
  await tracker.start();
  const [socket] = sockets;
  await tracker.tell({ productId: "P1" });
  socket.emitted.length = 0;
  assert.deepEqual(socket.auth(), { token: "g.new" });
  socket.fire("connect");
  assert.deepEqual(socket.emitted, [], "no page taken: nothing to follow");
  href = "https://shop.example/p/1";
  assert.equal(socket.auth().page.url, "https://shop.example/p/1");
  socket.fire("connect");
  assert.deepEqual(socket.emitted, [[Events.VISITOR_SHOP, { product_id: "P1" }]]);
});

test("an invitation pushed to the page is dispatched", async () => {
  const { io, sockets } = fakeIo();
  const tracker = homePageTracker(io);
  const seen = [];
  tracker.addEventListener("invitation", (event) => seen.push(event.detail.id));
  await tracker.start();
  sockets[0].fire("connect");
  sockets[0].fire(Events.INVITATION, { id: "i_1", message: "Hi" });
  assert.deepEqual(seen, ["i_1"]);
  const api = fakeApi();
  const tracking = new VisitorTracker({
    origin: "o",
    api,
    io,
    storage: null,
    page: () => ({ url: "https://s/", title: "", referrer: "" }),
    heartbeatMs: 1,
    timers: { setInterval: () => 1, clearInterval: () => {} },
  });
  await tracking.trackConversion({ value: 12.5, currency: "EUR", order_id: 7 });
  assert.deepEqual(api.calls.at(-1), [
    "POST",
    "/api/conversions",
    { value: 12.5, currency: "EUR", order_id: "7" },
    "g.new",
  ]);
  const items = [
    { product_id: 123, variant_id: 456, quantity: 2, price: 9.5 },
    { product_id: "ZT-R42", quantity: 1, price: "69.00" },
  ];
  await tracking.trackConversion({ value: "88.00", currency: "EUR", order_id: "A-1", items });
  assert.deepEqual(api.calls.at(-1)[2], {
    value: "88.00",
    currency: "EUR",
    order_id: "A-1",
    items: [
      { product_id: "123", variant_id: "456", quantity: 2, price: 9.5 },
      { product_id: "ZT-R42", quantity: 1, price: "69.00" },
    ],
  });
});

test("an order's items go as given, ids as text; the server judges the rest", () => {
  assert.deepEqual(conversionItems([{ product_id: 7, variant_id: null, quantity: 0 }]), [
    { product_id: "7", variant_id: null, quantity: 0 },
  ]);
  assert.deepEqual(conversionItems([{ product_id: "P", quantity: 1, price: 1, sku: "x" }]), [
    { product_id: "P", quantity: 1, price: 1, sku: "x" },
  ]);
  assert.equal(conversionItems("none"), "none");
  assert.deepEqual(conversionItems([null, 5]), [null, 5]);
});

test("the console lists live visitors, the most recent first", () => {
  const t = (key, params = {}) => `${key}:${JSON.stringify(params)}`;
  const known = new Map([
    ["a", { id: "a", last_seen: 1000 }],
    ["b", { id: "b", last_seen: 5000 }],
    ["c", { id: "c", last_seen: 100 }],
  ]);
  assert.deepEqual(
    liveVisitors(known, 6000, 5500).map((v) => v.id),
    ["b", "a"],
  );
  assert.equal(onSiteLabel(t, 0, 35_000), 'agent.visitors.seconds:{"count":35}');
  assert.equal(onSiteLabel(t, 0, 250_000), 'agent.minutes:{"count":4}');
  assert.equal(pathOf("https://shop.example/boots/trail?x=1"), "/boots/trail");
  assert.equal(pathOf("nonsense"), "");
});

test("a conversation opened from a file: page names no URL, an http(s) one its URL", () => {
  assert.deepEqual(conversationPage("Shop", "file:///home/ana/shop.html"), { title: "Shop" });
  assert.deepEqual(conversationPage("Shop", "https://shop.example/p/1?size=42"), {
    title: "Shop",
    url: "https://shop.example/p/1?size=42",
  });
  const long = conversationPage("x".repeat(600), `http://shop.example/${"a".repeat(600)}`);
  assert.equal(long.title.length, 500);
  assert.equal(long.url.length, 500);
});
