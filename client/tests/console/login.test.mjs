import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";

import { logInWithPassword, logOut, storedToken } from "../../console/login.js";

const ORIGIN = "https://covisor.test";
let calls;
let answers;

beforeEach(() => {
  calls = [];
  answers = [];
  const items = new Map();
  globalThis.localStorage = {
    getItem: (key) => (items.has(key) ? items.get(key) : null),
    setItem: (key, value) => items.set(key, String(value)),
    removeItem: (key) => items.delete(key),
  };
  globalThis.fetch = async (url, init) => {
    calls.push({ url, method: init.method, headers: init.headers, body: init.body });
    const next = answers.shift() ?? { status: 204, body: "" };
    if (next instanceof Error) throw next;
    return {
      ok: next.status < 300,
      status: next.status,
      text: async () => next.body,
      headers: { get: () => null },
    };
  };
});

afterEach(() => {
  delete globalThis.fetch;
  delete globalThis.localStorage;
});

test("logging in sends the e-mail and password and returns the session token", async () => {
  answers.push({ status: 200, body: JSON.stringify({ token: "a.session", agent: {} }) });
  assert.equal(await logInWithPassword(ORIGIN, "ann@shop.test", "pw"), "a.session");
  assert.equal(calls[0].url, `${ORIGIN}/api/auth/login`);
  assert.equal(calls[0].method, "POST");
  assert.deepEqual(JSON.parse(calls[0].body), { email: "ann@shop.test", password: "pw" });
  assert.equal(calls[0].headers.Authorization, undefined);
});

test("a wrong password rejects with the server's code", async () => {
  answers.push({
    status: 401,
    body: JSON.stringify({ ok: false, error: { code: "unauthorized", message: "wrong" } }),
  });
  await assert.rejects(logInWithPassword(ORIGIN, "ann@shop.test", "x"), { code: "unauthorized" });
});

test("logging out revokes the session on the server and forgets the token", async () => {
  storedToken.set("a.session");
  await logOut(ORIGIN, "a.session");
  assert.equal(calls[0].url, `${ORIGIN}/api/auth/logout`);
  assert.equal(calls[0].headers.Authorization, "Bearer a.session");
  assert.equal(storedToken.get(), null);
});

test("logging out offline still forgets the token", async () => {
  storedToken.set("a.session");
  answers.push(new Error("network down"));
  await logOut(ORIGIN, "a.session");
  assert.equal(storedToken.get(), null);
});
