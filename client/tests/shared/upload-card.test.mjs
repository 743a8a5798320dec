import assert from "node:assert/strict";
import { test } from "node:test";

import { viewerMediaForCatalogue } from "../../console/lists.js";
import { uploadSources, viewerMediaForUpload } from "../../shared/upload-card.js";

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

test("a photo just ready, with its display JPEG alone, shows that as its thumbnail too", () => {
  const sources = uploadSources({ kind: "image", variants: { display_jpeg: signed("display_jpeg") } });
  assert.match(sources.display, /display_jpeg/);
  assert.match(sources.thumb, /display_jpeg/);
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

const MEDIA_ID = "ab".repeat(32);

test("a ready photo is shown by its media id alone (the server's default variant)", () => {
  const upload = {
    id: MEDIA_ID,
    status: "ready",
    media: {
      id: MEDIA_ID,
      kind: "image",
      name: "shoe.jpg",
      width: 1600,
      height: 1200,
      blur_score: 30,
      variants: {
        display_webp: signed("display_webp"),
        display_jpeg: signed("display_jpeg"),
        thumb_webp: signed("thumb_webp"),
      },
    },
  };
  assert.deepEqual(viewerMediaForUpload(upload), { media_id: MEDIA_ID });
});

test("a ready video is shown by its media id alone", () => {
  const upload = {
    id: MEDIA_ID,
    media: {
      id: MEDIA_ID,
      kind: "video",
      name: "mug.mp4",
      duration: 4.5,
      variants: { video: signed("video"), poster_webp: signed("poster_webp") },
    },
  };
  assert.deepEqual(viewerMediaForUpload(upload), { media_id: MEDIA_ID });
});

test("a variant is named only when the default one is missing", () => {
  const jpegOnly = {
    media: { id: MEDIA_ID, kind: "image", variants: { display_jpeg: signed("display_jpeg") } },
  };
  assert.deepEqual(viewerMediaForUpload(jpegOnly), {
    media_id: MEDIA_ID,
    variant: "display_jpeg",
  });
  const thumbOnly = {
    media: { id: MEDIA_ID, kind: "image", variants: { thumb_webp: signed("thumb_webp") } },
  };
  assert.deepEqual(viewerMediaForUpload(thumbOnly), { media_id: MEDIA_ID, variant: "thumb_webp" });
});

test("an upload without a usable rendition cannot be shown", () => {
  assert.equal(viewerMediaForUpload({ id: "x", media: { kind: "image", variants: {} } }), null);
  const noVideo = { media: { id: MEDIA_ID, kind: "video", variants: { poster_webp: "/p" } } };
  assert.equal(viewerMediaForUpload(noVideo), null, "a poster is not the video");
  const original = { media: { id: MEDIA_ID, kind: "image", variants: { original: "/o" } } };
  assert.equal(viewerMediaForUpload(original), null, "the original is never shown");
});

test("only an upload's 64-hex media id is sent, never an upload or tray id", () => {
  const still = { media: { kind: "image", variants: { display_webp: signed("display_webp") } } };
  assert.equal(viewerMediaForUpload({ id: "u_x", ...still }), null);
  assert.equal(viewerMediaForUpload({ id: "u_x", mediaId: MEDIA_ID, ...still }).media_id, MEDIA_ID);
});

test("a catalogue item is shown by its id alone", () => {
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
  assert.deepEqual(viewerMediaForCatalogue(item), { media_id: "p_1" });
  assert.deepEqual(viewerMediaForCatalogue({ id: "trail-sneaker", kind: "image" }), {
    media_id: "trail-sneaker",
  });
});
