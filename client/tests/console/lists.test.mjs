import assert from "node:assert/strict";
import test from "node:test";
import { readFileSync } from "node:fs";

import { formatBytes, photoQuality, uploadFacts } from "../../console/lists.js";
import { createTranslator } from "../../shared/i18n.js";

const english = JSON.parse(readFileSync(new URL("../../locales/en.json", import.meta.url), "utf8"));
const t = createTranslator("en", english);

test("a photo's blur score becomes a plain-language verdict", () => {
  assert.equal(photoQuality({ blur_score: 12.5, blurry: true }), "blurry");
  assert.equal(photoQuality({ blur_score: 55, blurry: false }), "soft");
  assert.equal(photoQuality({ blur_score: 190.6, blurry: false }), "sharp");
  assert.equal(photoQuality({ blur_score: null, kind: "video" }), null);
  assert.equal(photoQuality(null), null);
  for (const quality of ["sharp", "soft", "blurry"]) {
    assert.ok(`agent.quality.${quality}` in english);
  }
});

test("sizes read in decimal units", () => {
  assert.equal(formatBytes(512), "512 B");
  assert.equal(formatBytes(830_000), "830 KB");
  assert.equal(formatBytes(4_200_000), "4.2 MB");
  assert.equal(formatBytes(25_000_000), "25 MB");
  assert.equal(formatBytes(undefined), "");
});

test("an upload's facts: name, time, bytes, pixels and a video's length", () => {
  const at = Date.UTC(2026, 0, 5, 14, 30);
  const photo = {
    at,
    media: { kind: "image", name: "IMG_0042.JPG", width: 3000, height: 4000 },
  };
  const facts = uploadFacts(photo, t);
  assert.match(facts, /^IMG_0042\.JPG · \d\d:\d\d( [AP]M)? · 3000 × 4000$/);
  const sized = { ...photo, media: { ...photo.media, bytes: 4_200_000 } };
  assert.match(uploadFacts(sized, t), / · 4\.2 MB · 3000 × 4000$/);
  const video = {
    at: 0,
    name: "clip.mp4",
    media: { kind: "video", width: 1280, height: 720, duration: 75 },
  };
  assert.equal(uploadFacts(video, t), "clip.mp4 · 1280 × 720 · 1:15");
  assert.equal(uploadFacts({ at: 0, media: null, name: null }, t), "");
});
