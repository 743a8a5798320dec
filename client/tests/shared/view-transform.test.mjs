import assert from "node:assert/strict";
import { test } from "node:test";

import {
  DEFAULT_TRANSFORM,
  MAX_ZOOM,
  clampTransform,
  fitRegion,
  fitScale,
  imageToScreen,
  mediaRect,
  panBy,
  regionContains,
  sameRegion,
  screenToImage,
  strokeWidthOnScreen,
  visibleRegion,
  zoomAt,
} from "../../shared/view-transform.js";

const media = { width: 2000, height: 1000 };
const desktop = { width: 800, height: 600 };
const phone = { width: 390, height: 420 };

const near = (actual, expected, epsilon = 1e-9) =>
  assert.ok(Math.abs(actual - expected) < epsilon, `${actual} is not ${expected}`);

test("at zoom 1 the media is fitted inside the container and centred", () => {
  const rect = mediaRect(DEFAULT_TRANSFORM, desktop, media);
  near(fitScale(desktop, media), 0.4);
  assert.deepEqual(rect, { left: 0, top: 100, width: 800, height: 400 });
});

test("screen and image coordinates round-trip at any zoom and container", () => {
  const transforms = [
    DEFAULT_TRANSFORM,
    { zoom: 3, cx: 0.3, cy: 0.7 },
    { zoom: 10, cx: 0.9, cy: 0.1 },
  ];
  for (const container of [desktop, phone]) {
    for (const transform of transforms) {
      const screen = imageToScreen([0.25, 0.8], transform, container, media);
      const [u, v] = screenToImage(screen, transform, container, media);
      near(u, 0.25);
      near(v, 0.8);
    }
  }
});

test("the transform centre is shown at the container centre on every screen size", () => {
  const transform = { zoom: 4, cx: 0.62, cy: 0.41 };
  for (const container of [desktop, phone]) {
    const [x, y] = imageToScreen([0.62, 0.41], transform, container, media);
    near(x, container.width / 2);
    near(y, container.height / 2);
  }
});

test("a point keeps its place relative to the centre, scaled by the screen's fit", () => {
  const transform = { zoom: 2, cx: 0.5, cy: 0.5 };
  const onDesktop = imageToScreen([0.6, 0.5], transform, desktop, media);
  const onPhone = imageToScreen([0.6, 0.5], transform, phone, media);
  near((onDesktop[0] - desktop.width / 2) / fitScale(desktop, media), 0.1 * 2000 * 2);
  near((onPhone[0] - phone.width / 2) / fitScale(phone, media), 0.1 * 2000 * 2);
});

test("zooming at a point keeps the image point under it fixed", () => {
  const anchor = [600, 200];
  const before = screenToImage(anchor, DEFAULT_TRANSFORM, desktop, media);
  const zoomed = zoomAt(DEFAULT_TRANSFORM, 2.5, anchor, desktop, media);
  const after = screenToImage(anchor, zoomed, desktop, media);
  near(zoomed.zoom, 2.5);
  near(after[0], before[0]);
  near(after[1], before[1]);
});

test("zoom is clamped to 1..10", () => {
  assert.equal(zoomAt(DEFAULT_TRANSFORM, 0.2, [400, 300], desktop, media).zoom, 1);
  assert.equal(zoomAt({ zoom: 8, cx: 0.5, cy: 0.5 }, 5, [400, 300], desktop, media).zoom, MAX_ZOOM);
});

test("dragging moves the image with the pointer", () => {
  const transform = { zoom: 4, cx: 0.5, cy: 0.5 };
  const point = imageToScreen([0.5, 0.5], transform, desktop, media);
  const moved = panBy(transform, 40, -30, desktop, media);
  const after = imageToScreen([0.5, 0.5], moved, desktop, media);
  near(after[0], point[0] + 40);
  near(after[1], point[1] - 30);
});

test("the view cannot be panned off the media", () => {
  const far = panBy({ zoom: 2, cx: 0.5, cy: 0.5 }, -1e6, -1e6, desktop, media);
  const rect = mediaRect(far, desktop, media);
  near(rect.left + rect.width, desktop.width);
  near(rect.top + rect.height, desktop.height);
});

test("an axis where the media fits stays centred", () => {
  const clamped = clampTransform({ zoom: 1, cx: 0.9, cy: 0.1 }, desktop, media);
  assert.deepEqual(clamped, { zoom: 1, cx: 0.5, cy: 0.5 });
});

test("stroke width is relative to the media width and grows with zoom", () => {
  near(strokeWidthOnScreen(0.01, DEFAULT_TRANSFORM, desktop, media), 8);
  near(strokeWidthOnScreen(0.01, { zoom: 3, cx: 0.5, cy: 0.5 }, desktop, media), 24);
});

const tall = { width: 390, height: 700 };

test("the visible region at zoom 1 is the whole media", () => {
  assert.deepEqual(visibleRegion(DEFAULT_TRANSFORM, desktop, media), { cx: 0.5, cy: 0.5, w: 1, h: 1 });
  assert.deepEqual(visibleRegion(DEFAULT_TRANSFORM, tall, media), { cx: 0.5, cy: 0.5, w: 1, h: 1 });
});

test("the visible region when zoomed is the container's share of the media", () => {
  // Desktop 800x600, media 2000x1000: fit 0.4, zoom 4 → 3200x1600 shown; 800x600 of it visible.
  const region = visibleRegion({ zoom: 4, cx: 0.3, cy: 0.6 }, desktop, media);
  near(region.w, 0.25);
  near(region.h, 0.375);
  near(region.cx, 0.3);
  near(region.cy, 0.6);
});

test("fitting a region shows all of it, letterboxed, centred on it", () => {
  const region = { cx: 0.3, cy: 0.4, w: 0.25, h: 0.375 };
  for (const container of [desktop, phone, tall]) {
    const transform = fitRegion(region, container, media);
    const shown = visibleRegion(transform, container, media);
    assert.ok(regionContains(shown, region), `${JSON.stringify(shown)} in ${container.width}`);
    // Tight along one axis: the region is not shown smaller than it needs to be.
    assert.ok(Math.abs(shown.w - region.w) < 1e-6 || Math.abs(shown.h - region.h) < 1e-6);
  }
});

test("a landscape region seen on a portrait phone and back", () => {
  const agent = visibleRegion({ zoom: 3, cx: 0.5, cy: 0.2 }, desktop, media);
  const phoneView = visibleRegion(fitRegion(agent, tall, media), tall, media);
  assert.ok(regionContains(phoneView, agent));
  // The phone's (taller) view fitted back on the desktop contains the phone's region.
  const back = visibleRegion(fitRegion(phoneView, desktop, media), desktop, media);
  assert.ok(regionContains(back, phoneView));
});

test("fitting a region near an edge stays inside the media and keeps the region visible", () => {
  const region = { cx: 0.05, cy: 0.95, w: 0.1, h: 0.1 };
  const transform = fitRegion(region, tall, media);
  assert.deepEqual(clampTransform(transform, tall, media), transform);
  assert.ok(regionContains(visibleRegion(transform, tall, media), region));
});

test("tiny regions are capped at the maximum zoom; whole regions are zoom 1", () => {
  assert.equal(fitRegion({ cx: 0.5, cy: 0.5, w: 0.001, h: 0.001 }, desktop, media).zoom, MAX_ZOOM);
  assert.equal(fitRegion({ cx: 0.5, cy: 0.5, w: 1, h: 1 }, tall, media).zoom, 1);
  assert.ok(sameRegion(visibleRegion(DEFAULT_TRANSFORM, phone, media), { cx: 0.5, cy: 0.5, w: 1, h: 1 }));
});
