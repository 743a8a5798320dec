/**
 * Random ids the client chooses itself (chat `client_id`, `upload_id`, `stroke_id`).
 * No DOM, no sockets.
 */

/** A random id of `length` base-36 characters; works in insecure contexts (no randomUUID). */
export function randomId(prefix = "", length = 16) {
  const bytes = new Uint8Array(length);
  globalThis.crypto.getRandomValues(bytes);
  let id = prefix;
  for (const byte of bytes) id += (byte % 36).toString(36);
  return id;
}
