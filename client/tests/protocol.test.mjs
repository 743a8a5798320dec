import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { test } from "node:test";

import { Events, VIDEO_COMMANDS } from "../protocol.js";

const clientDir = new URL("../", import.meta.url);

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
  for (const file of readdirSync(clientDir).filter((name) => name.endsWith(".js"))) {
    const source = readFileSync(new URL(file, clientDir), "utf8");
    for (const [, , name] of source.matchAll(call)) {
      if (names.has(name) || /^[a-z]+\.[a-z_]+/.test(name)) offenders.push(`${file}: "${name}"`);
    }
  }
  assert.deepEqual(offenders, []);
});
