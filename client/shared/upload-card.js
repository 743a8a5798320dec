/**
 * A shopper's upload as it appears in the chat: thumbnail, processing state, failure reason and
 * the blur verdict, plus the host's own actions (retake for the shopper, "show in viewer" and the
 * blur score for the agent). Also names a ready upload for `viewer.show`, which takes ids, not
 * URLs: the server resolves the id to the conversation's item and signs the file's URL itself.
 */

import { serverUrl } from "./api.js";
import { h, icon } from "./dom.js";

/** A variant's URL: the server sends `{url, width, height, mime}`; a bare string is a URL too. */
function variantUrl(variant) {
  if (typeof variant === "string") return variant;
  return typeof variant?.url === "string" ? variant.url : null;
}

function first(variants, names) {
  for (const name of names) {
    const url = variantUrl(variants[name]);
    if (url) return url;
  }
  return null;
}

/**
 * The served files of a processed upload: `{display, poster, thumb}` URLs (null when absent).
 * Stills prefer WebP (every current browser shows it), then JPEG; a video plays `video`. A photo
 * just ready has its display JPEG alone (its `media.updated` brings the rest): that is its
 * thumbnail meanwhile.
 */
export function uploadSources(media) {
  const variants = media?.variants ?? {};
  const poster = first(variants, ["poster_webp", "poster_jpeg"]);
  const still = first(variants, ["display_webp", "display_jpeg"]);
  const thumb = first(variants, ["thumb_webp", "thumb_jpeg"]) ?? poster ?? still;
  const display = media?.kind === "video" ? first(variants, ["video"]) : (still ?? thumb);
  return { display, poster, thumb };
}

/** What the viewer may show of an upload, best first; the first is the server's default. */
const SHOWN_VARIANTS = {
  image: ["display_webp", "display_jpeg", "thumb_webp", "thumb_jpeg"],
  video: ["video"],
};

/** An upload's media id: 64 hex digits (the SHA-256 of its bytes). */
const UPLOAD_MEDIA_ID = /^[0-9a-f]{64}$/;

/**
 * The `viewer.show` payload for a ready upload (`{media_id}`, plus `variant` only when the
 * server's default for its kind is missing), or null when it has nothing to show.
 */
export function viewerMediaForUpload(upload) {
  const media = upload?.media ?? {};
  const mediaId = String(media.id ?? upload?.mediaId ?? "");
  if (!UPLOAD_MEDIA_ID.test(mediaId)) return null;
  const names = SHOWN_VARIANTS[media.kind === "video" ? "video" : "image"];
  const variants = media.variants ?? {};
  const variant = names.find((name) => variantUrl(variants[name]));
  if (!variant) return null;
  return variant === names[0] ? { media_id: mediaId } : { media_id: mediaId, variant };
}

/** A server failure reason (a code such as "unsupported") in words; generic when unknown. */
function failureReason(t, reason) {
  const key = `upload.reason.${reason}`;
  return t.has(key) ? t(key) : t("upload.reason.unknown");
}

/**
 * The card for an upload timeline item.
 * @param {object} item upload item from `ConversationState`
 * @param {object} options `{t, origin, mine, details: Node[], actions: Node[]}` — `details`
 *   (facts, quality) go under the status line, `actions` (buttons) under them
 */
export function uploadCard(item, { t, origin, mine, details = [], actions = [] }) {
  const media = item.media ?? {};
  const { thumb } = uploadSources(media);
  const isVideo = media.kind === "video";
  const picture = thumb
    ? h("img", {
        class: "cv-upload-thumb",
        src: serverUrl(origin, thumb),
        alt: t(isVideo ? "upload.video_alt" : "upload.photo_alt"),
        loading: "lazy",
        "data-testid": "upload-thumb",
      })
    : h(
        "div",
        { class: "cv-upload-thumb cv-upload-thumb--empty" },
        icon(isVideo ? "play" : "image"),
      );
  const statusText = {
    processing: t("upload.processing"),
    ready: t(mine ? "upload.ready_mine" : "upload.ready", { name: item.actor?.name ?? "" }),
    failed: t("upload.failed", { reason: failureReason(t, item.reason) }),
  }[item.status];
  const blurry = item.status === "ready" && media.blurry === true;
  return h(
    "figure",
    {
      class: `cv-upload cv-upload--${item.status}${blurry ? " cv-upload--blurry" : ""}${mine ? " cv-upload--mine" : ""}`,
      "data-testid": "upload-card",
      dataset: { mediaId: String(item.id), status: item.status },
    },
    picture,
    h(
      "figcaption",
      {},
      h("span", { class: "cv-upload-status", "data-testid": "upload-status", text: statusText }),
      blurry
        ? h("span", {
            class: "cv-warning",
            "data-testid": "blur-warning",
            role: "alert",
            text: t(mine ? "upload.blurry_mine" : "upload.blurry"),
          })
        : null,
      details,
      actions.length ? h("span", { class: "cv-upload-actions" }, actions) : null,
    ),
  );
}
