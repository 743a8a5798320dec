/**
 * Geometry of the shared viewer: where the shown media sits on a screen for a transform, and the
 * mapping between screen pixels and image-normalised coordinates.
 *
 * A transform is `{zoom, cx, cy}` (PROTOCOL.md `viewer.transform`): `zoom` 1–10 on top of the
 * "contain" fit, `(cx, cy)` the image-normalised point shown at the centre of the container.
 * Because everything is expressed relative to the image, the same transform and the same stroke
 * points land on the same spot of the image on a phone and on a desktop. Pure functions only.
 *
 * `container` and `media` are `{width, height}` in pixels (CSS pixels for the container, natural
 * pixels for the media).
 */

export const MIN_ZOOM = 1;
export const MAX_ZOOM = 10;
export const DEFAULT_TRANSFORM = Object.freeze({ zoom: 1, cx: 0.5, cy: 0.5 });

const clamp = (value, low, high) => Math.min(high, Math.max(low, value));

/** Scale (screen px per media px) that fits the whole media inside the container. */
export function fitScale(container, media) {
  if (!(media.width > 0 && media.height > 0 && container.width > 0 && container.height > 0)) {
    return 1;
  }
  return Math.min(container.width / media.width, container.height / media.height);
}

/** Displayed size in screen px of the whole media at `zoom`. */
function displayedSize(zoom, container, media) {
  const scale = fitScale(container, media) * zoom;
  return { width: media.width * scale, height: media.height * scale };
}

/**
 * Keep zoom in [MIN_ZOOM, MAX_ZOOM] and the centre such that the view never leaves the media
 * (when the media is smaller than the container along an axis it is centred on that axis).
 */
export function clampTransform(transform, container, media) {
  const zoom = clamp(Number(transform.zoom) || 1, MIN_ZOOM, MAX_ZOOM);
  const size = displayedSize(zoom, container, media);
  const clampAxis = (centre, visible, total) => {
    const fraction = total > 0 ? visible / total : 1;
    if (fraction >= 1) return 0.5;
    return clamp(Number.isFinite(centre) ? centre : 0.5, fraction / 2, 1 - fraction / 2);
  };
  return {
    zoom,
    cx: clampAxis(transform.cx, container.width, size.width),
    cy: clampAxis(transform.cy, container.height, size.height),
  };
}

/** The media's on-screen rectangle `{left, top, width, height}` (container px) for a transform. */
export function mediaRect(transform, container, media) {
  const size = displayedSize(transform.zoom, container, media);
  return {
    left: container.width / 2 - transform.cx * size.width,
    top: container.height / 2 - transform.cy * size.height,
    width: size.width,
    height: size.height,
  };
}

/** Image-normalised `[u, v]` → container px `[x, y]`. */
export function imageToScreen(point, transform, container, media) {
  const rect = mediaRect(transform, container, media);
  return [rect.left + point[0] * rect.width, rect.top + point[1] * rect.height];
}

/** Container px `[x, y]` → image-normalised `[u, v]` (may fall outside [0, 1]). */
export function screenToImage(point, transform, container, media) {
  const rect = mediaRect(transform, container, media);
  return [(point[0] - rect.left) / rect.width, (point[1] - rect.top) / rect.height];
}

/**
 * Zoom by `factor` keeping the image point under `anchor` (container px) where it is, as a wheel
 * or pinch gesture expects; the result is clamped.
 */
export function zoomAt(transform, factor, anchor, container, media) {
  const [u, v] = screenToImage(anchor, transform, container, media);
  const zoom = clamp(transform.zoom * factor, MIN_ZOOM, MAX_ZOOM);
  const size = displayedSize(zoom, container, media);
  const next = {
    zoom,
    cx: u - (anchor[0] - container.width / 2) / size.width,
    cy: v - (anchor[1] - container.height / 2) / size.height,
  };
  return clampTransform(next, container, media);
}

/** Move the view so the media follows a drag of `(dx, dy)` container px; clamped. */
export function panBy(transform, dx, dy, container, media) {
  const size = displayedSize(transform.zoom, container, media);
  const next = {
    zoom: transform.zoom,
    cx: transform.cx - dx / size.width,
    cy: transform.cy - dy / size.height,
  };
  return clampTransform(next, container, media);
}

/** Stroke width (fraction of the media width, PROTOCOL.md `stroke.begin`) → screen px. */
export function strokeWidthOnScreen(width, transform, container, media) {
  return width * displayedSize(transform.zoom, container, media).width;
}

/** True when two transforms differ by less than what a screen could show. */
export function sameTransform(a, b, epsilon = 1e-4) {
  return (
    Math.abs(a.zoom - b.zoom) < epsilon &&
    Math.abs(a.cx - b.cx) < epsilon &&
    Math.abs(a.cy - b.cy) < epsilon
  );
}

/**
 * The part of the media visible for a transform: `{cx, cy, w, h}` in image-normalised units
 * (`w`, `h` fractions of the media's width and height, 0 < x ≤ 1, centred on `(cx, cy)`), as
 * `viewer.transform` and `viewer.view` carry it (PROTOCOL.md). Where the media is smaller than the
 * container along an axis, the whole of that axis is visible.
 */
export function visibleRegion(transform, container, media) {
  const rect = mediaRect(clampTransform(transform, container, media), container, media);
  if (!(rect.width > 0 && rect.height > 0)) return { cx: 0.5, cy: 0.5, w: 1, h: 1 };
  const axis = (start, size, total) => {
    const low = clamp(-start / size, 0, 1);
    const high = clamp((total - start) / size, 0, 1);
    return high > low ? [(low + high) / 2, high - low] : [0.5, 1];
  };
  const [cx, w] = axis(rect.left, rect.width, container.width);
  const [cy, h] = axis(rect.top, rect.height, container.height);
  return { cx, cy, w, h };
}

/**
 * The transform that shows all of `region` (`{cx, cy, w, h}`) in this container, letterboxed:
 * the largest zoom at which the whole rectangle fits, centred on it (then clamped, which keeps
 * the rectangle visible because the view is at least as large as the rectangle).
 */
export function fitRegion(region, container, media) {
  const scale = fitScale(container, media);
  const w = clamp(Number(region.w) || 1, 1e-3, 1);
  const h = clamp(Number(region.h) || 1, 1e-3, 1);
  const zoom = Math.min(
    container.width / (w * media.width * scale),
    container.height / (h * media.height * scale),
  );
  return clampTransform(
    { zoom: Number.isFinite(zoom) ? zoom : 1, cx: region.cx, cy: region.cy },
    container,
    media,
  );
}

/** True when `outer` contains `inner` (both `{cx, cy, w, h}`), up to `epsilon`. */
export function regionContains(outer, inner, epsilon = 1e-3) {
  return (
    outer.cx - outer.w / 2 <= inner.cx - inner.w / 2 + epsilon &&
    outer.cx + outer.w / 2 >= inner.cx + inner.w / 2 - epsilon &&
    outer.cy - outer.h / 2 <= inner.cy - inner.h / 2 + epsilon &&
    outer.cy + outer.h / 2 >= inner.cy + inner.h / 2 - epsilon
  );
}

/** True when two regions differ by less than `epsilon` on every field. */
export function sameRegion(a, b, epsilon = 1e-3) {
  return ["cx", "cy", "w", "h"].every((key) => Math.abs(a[key] - b[key]) < epsilon);
}
