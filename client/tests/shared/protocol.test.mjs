import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { clientDir, clientSources } from "../client-sources.mjs";
import {
  CONFIG_PATH,
  DEFAULT_LIMITS,
  Events,
  VIDEO_COMMANDS,
  loadLimits,
  mergeLimits,
  uploadByteLimit,
} from "../../shared/protocol.js";

test("event names are distinct and follow their constant's name", () => {
  const names = Object.values(Events);
  assert.equal(new Set(names).size, names.length);
  for (const [key, name] of Object.entries(Events)) {
    assert.equal(key, name.toUpperCase().replace(".", "_"), `${key} → ${name}`);
  }
  assert.ok(Object.isFrozen(Events));
});

test("every local video action maps to its video command", () => {
  assert.deepEqual(VIDEO_COMMANDS, {
    play: "video.play",
    pause: "video.pause",
    seek: "video.seek",
    rate: "video.rate",
  });
});

test("client modules name Socket.IO events through the constants, not string literals", () => {
  const names = new Set(Object.values(Events));
  const call = /\.(?:send|request|emit|on|#strokeCommand)\(\s*(["'`])([^"'`]*)\1/g;
  const offenders = [];
  for (const file of clientSources()) {
    const source = readFileSync(new URL(file, clientDir), "utf8");
    for (const [, , name] of source.matchAll(call)) {
      if (names.has(name) || /^[a-z]+\.[a-z_]+/.test(name)) offenders.push(`${file}: "${name}"`);
    }
  }
  assert.deepEqual(offenders, []);
});

test("the default limits are the server's defaults", () => {
  assert.deepEqual(DEFAULT_LIMITS, {
    max_message_chars: 2000,
    max_stroke_points: 256,
    max_socket_payload: 65536,
    max_image_bytes: 25 * 1024 * 1024,
    max_video_bytes: 200 * 1024 * 1024,
    pin_length: 6,
    chat_rate: { rate: 5, burst: 10 },
    stroke_rate: { rate: 120, burst: 240 },
    other_rate: { rate: 30, burst: 60 },
  });
  assert.ok(Object.isFrozen(DEFAULT_LIMITS));
  assert.ok(Object.isFrozen(DEFAULT_LIMITS.chat_rate));
});

test("the server's rate limits replace the defaults, fractional rates included", () => {
  const limits = mergeLimits({
    limits: { chat_rate: { rate: 0.5, burst: 1 }, other_rate: { rate: 10, burst: 20, extra: 1 } },
  });
  assert.deepEqual(limits.chat_rate, { rate: 0.5, burst: 1 });
  assert.deepEqual(limits.other_rate, { rate: 10, burst: 20 });
  assert.equal(limits.stroke_rate, DEFAULT_LIMITS.stroke_rate, "not given: the default stays");
  assert.ok(Object.isFrozen(limits.other_rate));
});

test("malformed rate limits leave the defaults", () => {
  const limits = mergeLimits({
    limits: {
      chat_rate: { rate: 0, burst: 10 },
      stroke_rate: { rate: 5, burst: 0.5 },
      other_rate: "30/60",
    },
  });
  assert.deepEqual(limits, DEFAULT_LIMITS);
  for (const bad of [null, 5, [], { rate: "5", burst: 10 }, { rate: Infinity, burst: 10 }]) {
    assert.deepEqual(mergeLimits({ limits: { chat_rate: bad } }), DEFAULT_LIMITS);
  }
});

test("a rate limit given where a number belongs (or the reverse) is ignored", () => {
  const limits = mergeLimits({ limits: { pin_length: { rate: 1, burst: 1 }, chat_rate: 5 } });
  assert.deepEqual(limits, DEFAULT_LIMITS);
});

test("the server's limits replace the defaults one by one", () => {
  const limits = mergeLimits({ limits: { max_stroke_points: 64, pin_length: 8 } });
  assert.equal(limits.max_stroke_points, 64);
  assert.equal(limits.pin_length, 8);
  assert.equal(limits.max_message_chars, 2000, "not given: the default stays");
  assert.ok(Object.isFrozen(limits));
});

test("malformed or unknown limits leave the defaults", () => {
  const limits = mergeLimits({
    limits: {
      max_stroke_points: "64",
      pin_length: 0,
      max_message_chars: -1,
      max_image_bytes: 1.5,
      max_video_bytes: null,
      surprise: 7,
    },
  });
  assert.deepEqual(limits, DEFAULT_LIMITS);
  assert.deepEqual(mergeLimits(null), DEFAULT_LIMITS);
  assert.deepEqual(mergeLimits({}), DEFAULT_LIMITS);
  assert.deepEqual(mergeLimits({ limits: [] }), DEFAULT_LIMITS);
});

test("loadLimits asks GET /api/config once and merges its answer", async () => {
  const asked = [];
  const api = {
    get: async (path) => {
      asked.push(path);
      return { limits: { max_message_chars: 500, pin_length: 4 } };
    },
  };
  const limits = await loadLimits(api);
  assert.deepEqual(asked, [CONFIG_PATH]);
  assert.equal(CONFIG_PATH, "/api/config");
  assert.equal(limits.max_message_chars, 500);
  assert.equal(limits.pin_length, 4);
  assert.equal(limits.max_stroke_points, 256);
});

test("loadLimits falls back to the defaults when the server fails or does not answer", async () => {
  const failing = { get: async () => Promise.reject(new Error("offline")) };
  assert.equal(await loadLimits(failing), DEFAULT_LIMITS);
  const silent = { get: () => new Promise(() => {}) };
  const started = Date.now();
  assert.deepEqual(await loadLimits(silent, { timeoutMs: 20 }), DEFAULT_LIMITS);
  assert.ok(Date.now() - started < 1000);
  const throwing = {
    get: () => {
      throw new Error("no fetch");
    },
  };
  assert.equal(await loadLimits(throwing), DEFAULT_LIMITS);
});

test("an upload's byte limit follows its declared kind, the larger one when unknown", () => {
  const limits = { ...DEFAULT_LIMITS, max_image_bytes: 10, max_video_bytes: 100 };
  assert.equal(uploadByteLimit({ type: "image/jpeg" }, limits), 10);
  assert.equal(uploadByteLimit({ type: "video/mp4" }, limits), 100);
  assert.equal(uploadByteLimit({ type: "" }, limits), 100);
  assert.equal(uploadByteLimit({}, limits), 100);
  assert.equal(uploadByteLimit({ type: "image/png" }), 25 * 1024 * 1024);
});
