/**
 * Photos are made smaller in the browser before they are uploaded: a 12 MP phone photo (4 MB)
 * goes out with its long side at most `MAX_SIDE` px as a JPEG of quality `JPEG_QUALITY`, turned
 * upright (the decoder applies the EXIF orientation) and without its metadata (a canvas carries
 * no EXIF, GPS or comments). The server still validates and processes whatever arrives; this is
 * only about the shopper's uplink.
 *
 * The original goes out unchanged when:
 * - it is not a photo (videos, and GIF and SVG, which a canvas would flatten), or the shopper
 *   chose "send the original";
 * - the browser cannot decode it (HEIC in Chromium): the server can;
 * - it is already small enough: within `MAX_SIDE` and either a JPEG without EXIF (re-encoding
 *   it would only lose quality) or under `SMALL_BYTES`;
 * - the re-encoded file would not be smaller than the original.
 *
 * The decisions are pure functions (`targetSize`, `planFor`, `jpegHasExif`), tested in node;
 * `preparePhoto` runs them with the browser's decoder and encoder, which tests may replace.
 */

export const MAX_SIDE = 2560;
export const JPEG_QUALITY = 0.85;
/** Under this many bytes, a photo within `MAX_SIDE` is not worth re-encoding. */
export const SMALL_BYTES = 512 * 1024;

/** Why a file went out as it did (`PreparedPhoto.reason`). */
export const Reason = Object.freeze({
  RESIZED: "resized", // downscaled and re-encoded
  REENCODED: "reencoded", // within MAX_SIDE, re-encoded (turned upright, metadata dropped)
  CHOSEN: "chosen", // the shopper chose to send the original
  NOT_PHOTO: "not_photo", // a video, GIF, SVG or any other non-photo file
  UNDECODABLE: "undecodable", // the browser cannot decode it (HEIC in Chromium)
  SMALL: "small", // already small enough
  NOT_SMALLER: "not_smaller", // re-encoding did not make it smaller
});

const KEPT_AS_IS = new Set(["image/gif", "image/svg+xml"]);
const PHOTO_EXTENSIONS = /\.(jpe?g|png|webp|avif|heic|heif|bmp|tiff?)$/i;

/**
 * The size to encode a `width` × `height` picture at: its long side at most `maxSide`, aspect
 * kept, never upscaled, at least 1 px each way.
 */
export function targetSize(width, height, maxSide = MAX_SIDE) {
  const long = Math.max(width, height);
  if (long <= maxSide) return { width, height, scaled: false };
  const scale = maxSide / long;
  const fit = (side) => Math.max(1, Math.min(maxSide, Math.round(side * scale)));
  return { width: fit(width), height: fit(height), scaled: true };
}

/** Whether `file` ({type, name}) may be a photo worth decoding. */
export function isPhoto(file) {
  const type = (file.type || "").toLowerCase();
  if (KEPT_AS_IS.has(type)) return false;
  if (type.startsWith("image/")) return true;
  // Some phones give HEIC files no type; a name is all there is.
  return type === "" && PHOTO_EXTENSIONS.test(file.name || "");
}

export function isJpeg(file) {
  const type = (file.type || "").toLowerCase();
  return type === "image/jpeg" || type === "image/pjpeg" || /\.jpe?g$/i.test(file.name || "");
}

/**
 * Whether a JPEG's first bytes (`Uint8Array`) hold an EXIF segment (APP1 "Exif\0\0"): the
 * orientation, camera and GPS tags live there. Non-JPEG bytes: false.
 */
export function jpegHasExif(bytes) {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return false;
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return false;
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return false; // image data: no more headers
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    if (marker === 0xe1 && at + 10 <= bytes.length) {
      const id = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
      if (id === "Exif" && bytes[at + 8] === 0 && bytes[at + 9] === 0) return true;
    }
    at += 2 + length;
  }
  return false;
}

/**
 * What to do with a decoded photo: `{resize: false, reason}` to send the original, or
 * `{resize: true, width, height, reason}` to encode it at that size.
 *
 * @param {{size: number, type?: string, name?: string}} file
 * @param {{width: number, height: number}} decoded the upright size the decoder gave
 * @param {{hasExif?: boolean, maxSide?: number, smallBytes?: number}} [options]
 */
export function planFor(file, decoded, options = {}) {
  const { hasExif = false, maxSide = MAX_SIDE, smallBytes = SMALL_BYTES } = options;
  const target = targetSize(decoded.width, decoded.height, maxSide);
  if (target.scaled) {
    return { resize: true, width: target.width, height: target.height, reason: Reason.RESIZED };
  }
  if (file.size <= smallBytes || (isJpeg(file) && !hasExif)) {
    return { resize: false, reason: Reason.SMALL };
  }
  return { resize: true, width: target.width, height: target.height, reason: Reason.REENCODED };
}

/** `photo.heic` → `photo.jpg` (the name the re-encoded file goes out with). */
export function jpegName(name) {
  const base = (name || "photo").replace(/\.[A-Za-z0-9]{1,5}$/, "");
  return `${base || "photo"}.jpg`;
}

/**
 * Decode `file` upright: an `ImageBitmap`, or where `createImageBitmap` refuses (a browser that
 * does not know the option), an `<img>` (which applies the EXIF orientation when drawn, in every
 * current browser) wrapped as `{width, height, source, close}`.
 */
async function browserDecode(file) {
  try {
    return await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch (error) {
    if (typeof Image !== "function" || typeof URL?.createObjectURL !== "function") throw error;
  }
  const url = URL.createObjectURL(file);
  const image = new Image();
  image.src = url;
  try {
    await image.decode();
  } catch (error) {
    URL.revokeObjectURL(url);
    throw error;
  }
  return {
    width: image.naturalWidth,
    height: image.naturalHeight,
    source: image,
    close: () => URL.revokeObjectURL(url),
  };
}

/** Draw `bitmap` at `width` × `height` on white and encode it as a JPEG `Blob`. */
async function browserEncode(bitmap, width, height, quality) {
  const offscreen = typeof OffscreenCanvas === "function";
  const canvas = offscreen ? new OffscreenCanvas(width, height) : document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff"; // a transparent PNG turns white, not black, as a JPEG
  context.fillRect(0, 0, width, height);
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = "high";
  context.drawImage(bitmap.source ?? bitmap, 0, 0, width, height);
  if (offscreen) return canvas.convertToBlob({ type: "image/jpeg", quality });
  return new Promise((resolve, reject) =>
    canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new Error("could not encode"))),
      "image/jpeg",
      quality,
    ),
  );
}

async function headBytes(file, count = 128 * 1024) {
  try {
    return new Uint8Array(await file.slice(0, count).arrayBuffer());
  } catch {
    return new Uint8Array();
  }
}

/**
 * @typedef {object} PreparedPhoto
 * @property {Blob} file what to upload: `original` itself or a new JPEG `File`
 * @property {string} reason a `Reason`
 * @property {{width: number, height: number}|null} size the encoded size, when re-encoded
 */

/**
 * The file to upload for `file`: the original, or an upright, metadata-free JPEG with its long
 * side at most `maxSide`. Never rejects: where anything fails, the original goes.
 *
 * @param {File} file
 * @param {object} [options]
 * @param {boolean} [options.original] the shopper chose to send the original
 * @param {number} [options.maxSide]
 * @param {number} [options.quality]
 * @param {(file: Blob) => Promise<{width: number, height: number, close?: Function}>} [options.decode]
 * @param {(bitmap: object, width: number, height: number, quality: number) => Promise<Blob>} [options.encode]
 * @returns {Promise<PreparedPhoto>}
 */
export async function preparePhoto(file, options = {}) {
  const {
    original = false,
    maxSide = MAX_SIDE,
    quality = JPEG_QUALITY,
    smallBytes = SMALL_BYTES,
    decode = browserDecode,
    encode = browserEncode,
  } = options;
  const kept = (reason) => ({ file, reason, size: null });
  if (original) return kept(Reason.CHOSEN);
  if (!isPhoto(file)) return kept(Reason.NOT_PHOTO);
  let bitmap;
  try {
    bitmap = await decode(file);
  } catch {
    return kept(Reason.UNDECODABLE);
  }
  try {
    if (!bitmap?.width || !bitmap?.height) return kept(Reason.UNDECODABLE);
    const hasExif = isJpeg(file) && jpegHasExif(await headBytes(file));
    const plan = planFor(file, bitmap, { hasExif, maxSide, smallBytes });
    if (!plan.resize) return kept(plan.reason);
    let encoded;
    try {
      encoded = await encode(bitmap, plan.width, plan.height, quality);
    } catch {
      return kept(Reason.UNDECODABLE);
    }
    if (!encoded || encoded.size >= file.size) return kept(Reason.NOT_SMALLER);
    const name = jpegName(file.name);
    const out =
      typeof File === "function"
        ? new File([encoded], name, { type: "image/jpeg", lastModified: file.lastModified })
        : Object.assign(encoded, { name });
    return { file: out, reason: plan.reason, size: { width: plan.width, height: plan.height } };
  } finally {
    bitmap?.close?.();
  }
}
