/**
 * The names of PROTOCOL.md the client depends on, in one place: every Socket.IO event the client
 * emits or listens to. No DOM, no sockets.
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
  VIEWER_SHOW: "viewer.show",
  VIEWER_TRANSFORM: "viewer.transform",
  STROKE_BEGIN: "stroke.begin",
  STROKE_POINTS: "stroke.points",
  STROKE_END: "stroke.end",
  STROKE_UNDO: "stroke.undo",
  STROKE_CLEAR: "stroke.clear",
  VIDEO_PLAY: "video.play",
  VIDEO_PAUSE: "video.pause",
  VIDEO_SEEK: "video.seek",
  VIDEO_RATE: "video.rate",
  // Server → client pushes.
  /** A sequenced conversation event `{conversation_id, seq, type, at, actor, data}`. */
  EVENT: "event",
  /** The waiting queue, to agents. */
  QUEUE: "queue",
  TYPING: "typing",
  PRESENCE: "presence",
});

/** The video command for each local player action (`play` → `video.play` …). */
export const VIDEO_COMMANDS = Object.freeze({
  play: Events.VIDEO_PLAY,
  pause: Events.VIDEO_PAUSE,
  seek: Events.VIDEO_SEEK,
  rate: Events.VIDEO_RATE,
});
