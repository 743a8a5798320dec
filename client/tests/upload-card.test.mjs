import assert from "node:assert/strict";
import { test } from "node:test";

import { viewerMediaForCatalogue } from "../agent-lists.js";
import { uploadSources, viewerMediaForUpload } from "../upload-card.js";

const signed = (name) => ({
  url: `/api/conversations/c/media/ab/${name}?exp=1&sig=x`,
  mime: "image/webp",
});

test("a photo shows its WebP display rendition and thumbnail", () => {
  const media = {
    kind: "image",
    variants: {
      display_jpeg: signed("display_jpeg"),
      display_webp: signed("display_webp"),
      thumb_jpeg: signed("thumb_jpeg"),
    },
  };
  const sources = uploadSources(media);
  assert.match(sources.display, /display_webp/);
  assert.match(sources.thumb, /thumb_jpeg/);
  assert.equal(sources.poster, null);
});

test("a video plays its video variant with the poster as thumbnail", () => {
  const media = {
    kind: "video",
    variants: { video: signed("video"), poster_webp: signed("poster_webp") },
  };
  const sources = uploadSources(media);
  assert.match(sources.display, /\/video\?/);
  assert.match(sources.thumb, /poster_webp/);
});

test("the viewer gets only fields the server accepts", () => {
  const upload = {
    id: "ab",
    media: {
      id: "ab",
      kind: "video",
      name: "mug.mp4",
      mime: "video/mp4",
      width: 1280,
      height: 720,
      duration: 4.5,
      blur_score: 3,
      uploaded_by: { id: "u" },
      variants: { video: signed("video"), poster_webp: signed("poster_webp") },
    },
  };
  const shown = viewerMediaForUpload(upload);
  assert.deepEqual(Object.keys(shown).sort(), [
    "duration",
    "height",
    "id",
    "kind",
    "poster",
    "src",
    "title",
    "width",
  ]);
  assert.equal(shown.title, "mug.mp4");
});

test("an upload without a usable rendition cannot be shown", () => {
  assert.equal(viewerMediaForUpload({ id: "x", media: { kind: "image", variants: {} } }), null);
});

test("catalogue items are trimmed to the viewer.show media shape", () => {
  const item = {
    id: "p_1",
    title: "Mug",
    description: "d",
    price: "18.50",
    currency: "EUR",
    kind: "video",
    src: "/api/catalogue/p_1/video",
    thumb: "/api/catalogue/p_1/thumb_webp",
    poster: "/api/catalogue/p_1/poster_webp",
    width: 640,
    height: 480,
    duration: 5,
  };
  assert.deepEqual(viewerMediaForCatalogue(item), {
    id: "p_1",
    kind: "video",
    src: "/api/catalogue/p_1/video",
    title: "Mug",
    width: 640,
    height: 480,
    poster: "/api/catalogue/p_1/poster_webp",
    duration: 5,
  });
});
