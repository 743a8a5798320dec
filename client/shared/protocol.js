/**
 * The names and numbers of PROTOCOL.md the client depends on, in one place: every Socket.IO event
 * the client emits or listens to, and the server's limits (`GET /api/config`).
 *
 * Limits: `DEFAULT_LIMITS` are the server's defaults and only a fallback; a widget or console
 * asks its server once at start (`loadLimits`) and passes the answer on (point batches, PIN field,
 * composer, upload sizes), so a server configured otherwise is followed without a client change.
 * No DOM, no sockets.
 */

/** Socket.IO event names (PROTOCOL.md "Socket.IO"). */
export const Events = Object.freeze({
  // Client → server, each answered by an ack.
  TIME: "time",
  JOIN: "join",
  LEAVE: "leave",
  CHAT_SEND: "chat.send",
  CHAT_TYPING: "chat.typing",
  CHAT_READ: "chat.read",
  CHAT_HISTORY: "chat.history",
  CHAT_TRANSLATE: "chat.translate",
  VIEWER_SHOW: "viewer.show",
  VIEWER_TRANSFORM: "viewer.transform",
  /** Ephemeral: the region this side sees; the others get a `view` push. */
  VIEWER_VIEW: "viewer.view",
  STROKE_BEGIN: "stroke.begin",
  STROKE_POINTS: "stroke.points",
  STROKE_END: "stroke.end",
  STROKE_UNDO: "stroke.undo",
  STROKE_CLEAR: "stroke.clear",
  VIDEO_PLAY: "video.play",
  VIDEO_PAUSE: "video.pause",
  VIDEO_SEEK: "video.seek",
  VIDEO_RATE: "video.rate",
  // The `visitor` role (live visitors).
  VISITOR_PAGE: "visitor.page",
  VISITOR_PING: "visitor.ping",
  VISITOR_SHOP: "visitor.shop",
  CART_SET: "cart.set",
  CART_ADD: "cart.add",
  PRODUCT_SEND: "product.send",
  VISITOR_TRIGGER: "visitor.trigger",
  VISITOR_INVITE: "visitor.invite",
  // Server → client pushes.
  /** A sequenced conversation event `{conversation_id, seq, type, at, actor, data}`. */
  EVENT: "event",
  /** The waiting queue, to agents. */
  QUEUE: "queue",
  /** A conversation that became this agent's (accepted, routed, transferred): its summary. */
  ASSIGNED: "assigned",
  /** An invitation to chat, to a visitor's pages. */
  INVITATION: "invitation",
  /** Visitors whose page changed, to agents: `{visitors: [visitor…]}`. */
  VISITORS: "visitors",
  TYPING: "typing",
  PRESENCE: "presence",
  /** Another member's visible region `{conversation_id, actor, cx, cy, w, h}`. */
  VIEW: "view",
  /**
   * Points of a stroke another member is drawing, not sequenced:
   * `{conversation_id, stroke_id, index, points}`, `index` the place of the first in the stroke.
   */
  POINTS: "points",
});

/** The video command for each local player action (`play` → `video.play` …). */
export const VIDEO_COMMANDS = Object.freeze({
  play: Events.VIDEO_PLAY,
  pause: Events.VIDEO_PAUSE,
  seek: Events.VIDEO_SEEK,
  rate: Events.VIDEO_RATE,
});

/** `GET /api/config`: public, answers `{"limits": {...}}`. */
export const CONFIG_PATH = "/api/config";

/**
 * The server's default limits, used until (and unless) `GET /api/config` answers.
 * `max_stroke_points`: points in one `stroke.begin` / `stroke.points`; `pin_length`: digits of a
 * phone PIN; byte limits per upload kind; `max_socket_payload`: bytes of one Socket.IO packet;
 * `chat_rate`, `stroke_rate`, `other_rate`: the per-connection Socket.IO rate limits
 * `{rate: per second, burst}` (PROTOCOL.md *Rate limits (per connection)*) the emitter paces to.
 */
export const DEFAULT_LIMITS = Object.freeze({
  max_message_chars: 2000,
  max_stroke_points: 256,
  max_socket_payload: 64 * 1024,
  max_image_bytes: 25 * 1024 * 1024,
  max_video_bytes: 200 * 1024 * 1024,
  pin_length: 6,
  chat_rate: Object.freeze({ rate: 5, burst: 10 }),
  stroke_rate: Object.freeze({ rate: 120, burst: 240 }),
  other_rate: Object.freeze({ rate: 30, burst: 60 }),
});

/** How long the start of a widget or console waits for `/api/config` before using defaults. */
export const CONFIG_TIMEOUT_MS = 5000;

const positiveInteger = (value) => Number.isSafeInteger(value) && value > 0;

/** A usable rate limit `{rate, burst}` (as the server checks them: rate above 0, burst ≥ 1). */
const rateLimit = (value) =>
  Number.isFinite(value?.rate) &&
  value.rate > 0 &&
  Number.isFinite(value.burst) &&
  value.burst >= 1;

/**
 * The limits of a `GET /api/config` answer over the defaults: each known limit the answer gives
 * in a usable form (a positive integer; `{rate, burst}` for the rate limits) replaces its
 * default; anything else (missing, malformed, unknown keys) leaves the default. Always returns a
 * complete, frozen limits object.
 */
export function mergeLimits(answer, defaults = DEFAULT_LIMITS) {
  const given = answer?.limits ?? {};
  const limits = { ...defaults };
  for (const [name, fallback] of Object.entries(defaults)) {
    const value = given[name];
    if (typeof fallback === "number" && positiveInteger(value)) limits[name] = value;
    if (typeof fallback === "object" && rateLimit(value)) {
      limits[name] = Object.freeze({ rate: value.rate, burst: value.burst });
    }
  }
  return Object.freeze(limits);
}

/**
 * Ask the server for its limits once: `api` is anything with `get(path)` resolving to parsed
 * JSON (an `Api`, token or not). Never rejects: a failure, or no answer within `timeoutMs`,
 * gives `DEFAULT_LIMITS`.
 */
export async function loadLimits(api, { timeoutMs = CONFIG_TIMEOUT_MS } = {}) {
  let cancel = () => {};
  const timeout = new Promise((resolve) => {
    const handle = setTimeout(() => resolve(null), timeoutMs);
    cancel = () => clearTimeout(handle);
  });
  try {
    const answer = await Promise.race([api.get(CONFIG_PATH), timeout]);
    return mergeLimits(answer);
  } catch {
    return DEFAULT_LIMITS;
  } finally {
    cancel();
  }
}

/** The byte limit for uploading `file`: by its declared type, the larger one when unknown. */
export function uploadByteLimit(file, limits = DEFAULT_LIMITS) {
  const type = String(file?.type ?? "");
  if (type.startsWith("image/")) return limits.max_image_bytes;
  if (type.startsWith("video/")) return limits.max_video_bytes;
  return Math.max(limits.max_image_bytes, limits.max_video_bytes);
}
