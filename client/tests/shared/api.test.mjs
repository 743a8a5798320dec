import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { Api, ApiError } from "../../shared/api.js";

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

/** Replace fetch with one answering `status` and `body`; returns the calls it saw. */
function answer(status, body = "") {
  const calls = [];
  globalThis.fetch = async (url, options) => {
    calls.push({ url, ...options });
    return new Response(status === 204 ? null : body, { status });
  };
  return calls;
}

test("patch, put and delete send the method, token and JSON body", async () => {
  const api = new Api("https://shop.example", "tok");
  let calls = answer(200, JSON.stringify({ id: "a_1", capacity: 5 }));
  assert.deepEqual(await api.patch("/api/team/a_1", { capacity: 5 }), { id: "a_1", capacity: 5 });
  assert.equal(calls[0].method, "PATCH");
  assert.equal(calls[0].url, "https://shop.example/api/team/a_1");
  assert.equal(calls[0].headers.Authorization, "Bearer tok");
  assert.equal(calls[0].headers["Content-Type"], "application/json");
  assert.equal(calls[0].body, JSON.stringify({ capacity: 5 }));

  calls = answer(200, JSON.stringify({ id: "r_1" }));
  await api.put("/api/replies/r_1", { shortcut: "hi", text: "Hi", shared: false });
  assert.equal(calls[0].method, "PUT");
  assert.equal(JSON.parse(calls[0].body).shortcut, "hi");

  calls = answer(204);
  assert.equal(await api.delete("/api/replies/r_1"), null);
  assert.equal(calls[0].method, "DELETE");
  assert.equal(calls[0].body, undefined);
  assert.equal(calls[0].headers["Content-Type"], undefined);
});

test("a refusal becomes an ApiError with the server's code", async () => {
  answer(409, JSON.stringify({ ok: false, error: { code: "conflict", message: "last admin" } }));
  const api = new Api("https://shop.example", "tok");
  await assert.rejects(api.patch("/api/team/a_1", {}), (error) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.code, "conflict");
    assert.equal(error.status, 409);
    return true;
  });
});

test("a page is fetched with the token and answered as its text; a refusal is an ApiError", async () => {
  const api = new Api("https://shop.example", "tok");
  let calls = answer(200, "<!doctype html><p>{not json}</p>");
  assert.equal(await api.page("/api/conversations/c_1/transcript.html"), "<!doctype html><p>{not json}</p>");
  assert.equal(calls[0].method, "GET");
  assert.equal(calls[0].headers.Authorization, "Bearer tok");
  assert.equal(calls[0].headers.Accept, "text/html");
  calls = answer(403, JSON.stringify({ error: { code: "forbidden", message: "no" } }));
  await assert.rejects(api.page("/api/conversations/c_2/transcript.html"), (error) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.code, "forbidden");
    return true;
  });
  assert.equal(calls.length, 1);
});
