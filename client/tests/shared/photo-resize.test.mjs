import assert from "node:assert/strict";
import { test } from "node:test";

import {
  JPEG_QUALITY,
  MAX_SIDE,
  Reason,
  isPhoto,
  jpegHasExif,
  jpegName,
  planFor,
  preparePhoto,
  targetSize,
} from "../../shared/photo-resize.js";

const MB = 1024 * 1024;

/** A JPEG's first bytes: SOI, then the given segments ([marker, payload bytes]), then SOS. */
function jpegHead(...segments) {
  const bytes = [0xff, 0xd8];
  for (const [marker, payload] of segments) {
    const length = payload.length + 2;
    bytes.push(0xff, marker, length >> 8, length & 0xff, ...payload);
  }
  bytes.push(0xff, 0xda, 0, 2);
  return new Uint8Array(bytes);
}
const ascii = (text) => [...text].map((c) => c.charCodeAt(0));
const EXIF = [0xe1, [...ascii("Exif"), 0, 0, ...ascii("MM"), 0, 42]];
const JFIF = [0xe0, [...ascii("JFIF"), 0, 1, 2]];
const XMP = [0xe1, ascii("http://ns.adobe.com/xap/1.0/\0<x/>")];

test("the long side is brought down to 2560 px, keeping the aspect", () => {
  assert.deepEqual(targetSize(4000, 3000), { width: 2560, height: 1920, scaled: true });
  assert.deepEqual(targetSize(3000, 4000), { width: 1920, height: 2560, scaled: true });
  assert.deepEqual(targetSize(4032, 3024), { width: 2560, height: 1920, scaled: true });
  assert.deepEqual(targetSize(8000, 8000), { width: 2560, height: 2560, scaled: true });
  assert.deepEqual(targetSize(4000, 3000, 1000), { width: 1000, height: 750, scaled: true });
  assert.equal(MAX_SIDE, 2560);
  assert.ok(JPEG_QUALITY >= 0.8 && JPEG_QUALITY <= 0.9);
});

test("a picture within the limit is never upscaled, and a sliver keeps at least 1 px", () => {
  assert.deepEqual(targetSize(2560, 1440), { width: 2560, height: 1440, scaled: false });
  assert.deepEqual(targetSize(800, 600), { width: 800, height: 600, scaled: false });
  assert.deepEqual(targetSize(1, 1), { width: 1, height: 1, scaled: false });
  assert.deepEqual(targetSize(100000, 10), { width: 2560, height: 1, scaled: true });
});

test("photos are worth decoding; videos, GIFs and SVGs are not", () => {
  assert.equal(isPhoto({ type: "image/jpeg", name: "a.jpg" }), true);
  assert.equal(isPhoto({ type: "image/png", name: "a.png" }), true);
  assert.equal(isPhoto({ type: "image/heic", name: "a.heic" }), true);
  assert.equal(isPhoto({ type: "", name: "IMG_0001.HEIC" }), true);
  assert.equal(isPhoto({ type: "video/mp4", name: "a.mp4" }), false);
  assert.equal(isPhoto({ type: "video/quicktime", name: "a.mov" }), false);
  assert.equal(isPhoto({ type: "image/gif", name: "a.gif" }), false);
  assert.equal(isPhoto({ type: "image/svg+xml", name: "a.svg" }), false);
  assert.equal(isPhoto({ type: "", name: "notes.txt" }), false);
});

test("an EXIF segment is found among a JPEG's headers, and only there", () => {
  assert.equal(jpegHasExif(jpegHead(EXIF)), true);
  assert.equal(jpegHasExif(jpegHead(JFIF, EXIF)), true);
  assert.equal(jpegHasExif(jpegHead(JFIF)), false);
  assert.equal(jpegHasExif(jpegHead(JFIF, XMP)), false);
  assert.equal(jpegHasExif(new Uint8Array([0x89, 0x50, 0x4e, 0x47])), false);
  assert.equal(jpegHasExif(new Uint8Array()), false);
  const cut = jpegHead(JFIF, EXIF).subarray(0, 12);
  assert.equal(jpegHasExif(cut), false);
});

test("a large photo is resized; a small one is sent as it is unless it carries EXIF", () => {
  const jpeg = (size) => ({ type: "image/jpeg", name: "a.jpg", size });
  const png = (size) => ({ type: "image/png", name: "a.png", size });
  assert.deepEqual(planFor(jpeg(4 * MB), { width: 4000, height: 3000 }), {
    resize: true,
    width: 2560,
    height: 1920,
    reason: Reason.RESIZED,
  });
  // A screenshot-sized PNG over the limit is resized too, whatever its bytes.
  assert.equal(planFor(png(300_000), { width: 3000, height: 2000 }).reason, Reason.RESIZED);
  // Within the limit: a JPEG without EXIF is not re-encoded, whatever its size…
  assert.deepEqual(planFor(jpeg(2 * MB), { width: 2000, height: 1500 }), {
    resize: false,
    reason: Reason.SMALL,
  });
  // …one with EXIF (orientation, GPS) is, unless it is tiny anyway.
  const withExif = planFor(jpeg(2 * MB), { width: 2000, height: 1500 }, { hasExif: true });
  assert.deepEqual(withExif, { resize: true, width: 2000, height: 1500, reason: Reason.REENCODED });
  const tiny = planFor(jpeg(200_000), { width: 2000, height: 1500 }, { hasExif: true });
  assert.equal(tiny.reason, Reason.SMALL);
  assert.equal(planFor(png(300_000), { width: 1200, height: 900 }).reason, Reason.SMALL);
  assert.equal(planFor(png(3 * MB), { width: 2400, height: 1800 }).reason, Reason.REENCODED);
});

test("the re-encoded file is named .jpg", () => {
  assert.equal(jpegName("IMG_0001.HEIC"), "IMG_0001.jpg");
  assert.equal(jpegName("shoe.png"), "shoe.jpg");
  assert.equal(jpegName("shoe.jpeg"), "shoe.jpg");
  assert.equal(jpegName("no-extension"), "no-extension.jpg");
  assert.equal(jpegName(""), "photo.jpg");
});

/** A File-like photo of `bytes` bytes with the given head (for the EXIF check). */
function fakeFile({ type = "image/jpeg", name = "shoe.jpg", size = 4 * MB, head = jpegHead(EXIF) }) {
  const blob = new Blob([head, new Uint8Array(Math.max(0, size - head.length))], { type });
  return new File([blob], name, { type, lastModified: 1234 });
}

function fakeCodec({ width = 4000, height = 3000, encodedBytes = 900_000, decodeError = null }) {
  const calls = { decoded: 0, encoded: [], closed: 0 };
  return {
    calls,
    decode: async () => {
      calls.decoded += 1;
      if (decodeError) throw decodeError;
      return { width, height, close: () => (calls.closed += 1) };
    },
    encode: async (bitmap, w, h, quality) => {
      calls.encoded.push({ w, h, quality });
      return new Blob([new Uint8Array(encodedBytes)], { type: "image/jpeg" });
    },
  };
}

test("a 12 MP photo goes out as a 2560 px JPEG at quality 0.85, named .jpg", async () => {
  const file = fakeFile({ name: "IMG_0042.JPG" });
  const codec = fakeCodec({ width: 3000, height: 4000 });
  const prepared = await preparePhoto(file, codec);
  assert.equal(prepared.reason, Reason.RESIZED);
  assert.deepEqual(prepared.size, { width: 1920, height: 2560 });
  assert.deepEqual(codec.calls.encoded, [{ w: 1920, h: 2560, quality: JPEG_QUALITY }]);
  assert.equal(prepared.file.size, 900_000);
  assert.equal(prepared.file.type, "image/jpeg");
  assert.equal(prepared.file.name, "IMG_0042.jpg");
  assert.equal(codec.calls.closed, 1, "the decoded bitmap is released");
});

test("the original goes when chosen, for videos, and where the browser cannot decode", async () => {
  const file = fakeFile({});
  let codec = fakeCodec({});
  let prepared = await preparePhoto(file, { ...codec, original: true });
  assert.equal(prepared.file, file);
  assert.equal(prepared.reason, Reason.CHOSEN);
  assert.equal(codec.calls.decoded, 0, "nothing is decoded when the original is chosen");

  const video = fakeFile({ type: "video/mp4", name: "clip.mp4", head: new Uint8Array(8) });
  prepared = await preparePhoto(video, codec);
  assert.equal(prepared.file, video);
  assert.equal(prepared.reason, Reason.NOT_PHOTO);
  assert.equal(codec.calls.decoded, 0);

  const heic = fakeFile({ type: "image/heic", name: "IMG_0001.HEIC", head: new Uint8Array(8) });
  codec = fakeCodec({ decodeError: new DOMException("The source image could not be decoded.") });
  prepared = await preparePhoto(heic, codec);
  assert.equal(prepared.file, heic);
  assert.equal(prepared.reason, Reason.UNDECODABLE);
  assert.deepEqual(codec.calls.encoded, []);
});

test("a small JPEG without EXIF is not re-encoded; re-encoding never makes a file bigger", async () => {
  const plain = fakeFile({ size: 1.5 * MB, head: jpegHead(JFIF) });
  let codec = fakeCodec({ width: 1600, height: 1200 });
  let prepared = await preparePhoto(plain, codec);
  assert.equal(prepared.file, plain);
  assert.equal(prepared.reason, Reason.SMALL);
  assert.deepEqual(codec.calls.encoded, []);

  const withExif = fakeFile({ size: 1.5 * MB, head: jpegHead(JFIF, EXIF) });
  codec = fakeCodec({ width: 1600, height: 1200, encodedBytes: 700_000 });
  prepared = await preparePhoto(withExif, codec);
  assert.equal(prepared.reason, Reason.REENCODED);
  assert.deepEqual(codec.calls.encoded, [{ w: 1600, h: 1200, quality: JPEG_QUALITY }]);

  const dense = fakeFile({ size: 1 * MB });
  codec = fakeCodec({ width: 5000, height: 100, encodedBytes: 1 * MB + 1 });
  prepared = await preparePhoto(dense, codec);
  assert.equal(prepared.file, dense);
  assert.equal(prepared.reason, Reason.NOT_SMALLER);
});

test("a failing encoder falls back to the original", async () => {
  const file = fakeFile({});
  const codec = fakeCodec({});
  codec.encode = async () => {
    throw new Error("out of memory");
  };
  const prepared = await preparePhoto(file, codec);
  assert.equal(prepared.file, file);
  assert.equal(codec.calls.closed, 1);
});
