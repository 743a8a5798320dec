import assert from "node:assert/strict";
import { test } from "node:test";

import { Change, ConversationState } from "../../shared/conversation-state.js";
import { EventSequencer } from "../../shared/event-sequencer.js";
import { DEFAULT_TRANSFORM } from "../../shared/view-transform.js";

const shopper = { id: "u_shop", role: "customer", name: "Shopper" };
const agent = { id: "a_1", role: "agent", name: "Ana" };
let seq = 0;
const ev = (type, data, actor = shopper) => ({
  conversation_id: "c_1",
  seq: (seq += 1),
  type,
  at: 1000 * seq,
  actor,
  data,
});

function fresh(selfId = shopper.id) {
  seq = 0;
  return new ConversationState("c_1", selfId);
}

const snapshot = {
  conversation_id: "c_1",
  seq: 3,
  status: "active",
  page: { url: "https://shop/p/1", title: "Boots" },
  name: "Shopper",
  agent: { id: "a_1", name: "Ana" },
  messages: [
    {
      seq: 2,
      type: "chat.message",
      at: 2,
      actor: shopper,
      data: { text: "hi", client_id: "k2" },
    },
  ],
  reads: { a_1: 2 },
  media: { id: "p1", kind: "image", src: "/media/p1.jpg", width: 800, height: 600 },
  transform: { zoom: 2, cx: 0.4, cy: 0.6 },
  strokes: [
    {
      stroke_id: "s1",
      actor_id: "a_1",
      color: "#ff0000",
      width: 0.01,
      points: [[0.1, 0.1]],
      done: true,
    },
  ],
  video: { playing: false, position: 0, rate: 1, at: 0 },
};

test("a snapshot sets status, viewer, strokes, reads and messages", () => {
  const state = fresh();
  state.loadSnapshot(snapshot);
  assert.equal(state.status, "active");
  assert.equal(state.agent.name, "Ana");
  assert.equal(state.media.id, "p1");
  assert.deepEqual(state.transform, { zoom: 2, cx: 0.4, cy: 0.6 });
  assert.deepEqual(
    state.visibleStrokes().map((s) => s.stroke_id),
    ["s1"],
  );
  assert.deepEqual(
    state.messages.map((m) => m.text),
    ["hi"],
  );
  assert.equal(state.readByOthers(), 2);
  assert.equal(state.hasClientId("k2"), true);
});

test("chat messages are appended in order and reported as a timeline change", () => {
  const state = fresh();
  assert.equal(
    state.apply(ev("chat.message", { text: "hello", client_id: null })),
    Change.TIMELINE,
  );
  state.apply(ev("chat.message", { text: "hi there", client_id: null }, agent));
  assert.deepEqual(
    state.messages.map((m) => [m.text, m.actor.role]),
    [
      ["hello", "customer"],
      ["hi there", "agent"],
    ],
  );
  assert.equal(state.lastIncomingSeq(), 2);
});

test("a message already known from the snapshot is not added twice", () => {
  const state = fresh();
  state.loadSnapshot(snapshot);
  state.addHistory(snapshot.messages);
  assert.equal(state.messages.length, 1);
});

test("older history is inserted before newer messages", () => {
  const state = fresh();
  state.loadSnapshot(snapshot);
  state.addHistory([
    {
      seq: 1,
      type: "chat.message",
      at: 1,
      actor: agent,
      data: { text: "first" },
    },
  ]);
  assert.deepEqual(
    state.messages.map((m) => m.text),
    ["first", "hi"],
  );
});

test("accept and close change the status and leave notices in the timeline", () => {
  const state = fresh();
  assert.equal(
    state.apply(ev("conversation.accepted", { agent: { id: "a_1", name: "Ana" } }, agent)),
    Change.STATUS,
  );
  assert.equal(state.status, "active");
  state.apply(ev("conversation.closed", {}, agent));
  assert.equal(state.status, "closed");
  assert.deepEqual(
    state.timeline.map((i) => i.type),
    ["conversation.accepted", "conversation.closed"],
  );
});

test("viewer.show replaces the media and resets transform, strokes and video", () => {
  const state = fresh();
  state.loadSnapshot(snapshot);
  state.beginLocalStroke({ stroke_id: "mine", color: "#000000", width: 0.01, points: [[0, 0]] });
  const media = { id: "v1", kind: "video", src: "/media/v1.mp4" };
  assert.equal(state.apply({ ...ev("viewer.show", { media }, agent), seq: 4 }), Change.MEDIA);
  assert.equal(state.media.id, "v1");
  assert.deepEqual(state.transform, DEFAULT_TRANSFORM);
  assert.deepEqual(state.visibleStrokes(), []);
  assert.equal(state.video.playing, false);
  assert.equal(state.video.position, 0);
});

test("viewer.transform and video.state update the viewer", () => {
  const state = fresh();
  assert.equal(
    state.apply(ev("viewer.transform", { zoom: 3, cx: 0.2, cy: 0.8 })),
    Change.TRANSFORM,
  );
  assert.deepEqual(state.transform, { zoom: 3, cx: 0.2, cy: 0.8 });
  const video = { playing: true, position: 12.5, rate: 1.5, at: 99 };
  assert.equal(state.apply(ev("video.state", video)), Change.VIDEO);
  assert.deepEqual(state.video, video);
});

test("in an older log, a stroke grows by stroke.points events and keeps them at its end", () => {
  const state = fresh();
  state.apply(
    ev(
      "stroke.begin",
      { stroke_id: "s", color: "#00ff00", width: 0.01, points: [[0.1, 0.1]] },
      agent,
    ),
  );
  state.apply(
    ev(
      "stroke.points",
      {
        stroke_id: "s",
        points: [
          [0.2, 0.2],
          [0.3, 0.3],
        ],
      },
      agent,
    ),
  );
  let [stroke] = state.visibleStrokes();
  assert.equal(stroke.points.length, 3);
  assert.equal(stroke.done, false);
  assert.equal(stroke.actor_id, "a_1");
  state.apply(ev("stroke.end", { stroke_id: "s" }, agent));
  [stroke] = state.visibleStrokes();
  assert.equal(stroke.done, true);
});

test("undo removes the named stroke and clear removes all", () => {
  const state = fresh();
  for (const id of ["a", "b", "c"]) {
    state.apply(
      ev("stroke.begin", { stroke_id: id, color: "#000000", width: 0.01, points: [[0, 0]] }),
    );
  }
  assert.equal(state.apply(ev("stroke.undo", { stroke_id: "b" })), Change.STROKES);
  assert.deepEqual(
    state.visibleStrokes().map((s) => s.stroke_id),
    ["a", "c"],
  );
  state.apply(ev("stroke.clear", {}, agent));
  assert.deepEqual(state.visibleStrokes(), []);
});

const line = (n) => Array.from({ length: n }, (_, i) => [i / 100, 0.5]);

test("a remote stroke grows by points pushes; its stroke.end's line replaces its points", () => {
  const state = fresh();
  const begin = { stroke_id: "s", color: "#00ff00", width: 0.01, points: line(1) };
  state.apply(ev("stroke.begin", begin, agent));
  assert.equal(state.addPoints("s", 1, line(3).slice(1)), Change.STROKES);
  assert.deepEqual(state.stroke("s").points, line(3));
  const whole = line(5);
  const end = ev("stroke.end", { stroke_id: "s", points: whole }, agent);
  assert.equal(state.apply(end), Change.STROKES);
  whole.push([1, 1]);
  assert.deepEqual(state.visibleStrokes()[0].points, line(5), "a copy of the event's line");
  assert.equal(state.visibleStrokes()[0].done, true);
});

test("a points push adds only what the stroke lacks, even past a gap", () => {
  const state = fresh();
  const begin = { stroke_id: "s", color: "#00ff00", width: 0.01, points: line(3) };
  state.apply(ev("stroke.begin", begin, agent));
  assert.equal(state.addPoints("s", 1, line(3).slice(1)), null, "all of it already there");
  assert.equal(state.addPoints("s", 2, line(5).slice(2)), Change.STROKES, "overlapping by one");
  assert.deepEqual(state.stroke("s").points, line(5));
  assert.equal(state.addPoints("s", 8, [[0.9, 0.9]]), Change.STROKES, "missed pushes");
  assert.deepEqual(state.stroke("s").points, [...line(5), [0.9, 0.9]]);
  state.apply(ev("stroke.end", { stroke_id: "s", points: line(9) }, agent));
  assert.deepEqual(state.stroke("s").points, line(9), "stroke.end mends the line");
});

test("a points push for a stroke unknown or ended, or malformed, changes nothing", () => {
  const state = fresh();
  assert.equal(state.addPoints("nope", 0, line(2)), null);
  const begin = { stroke_id: "s", color: "#00ff00", width: 0.01, points: line(1) };
  state.apply(ev("stroke.begin", begin, agent));
  assert.equal(state.addPoints("s", null, line(2)), null);
  assert.equal(state.addPoints("s", -1, line(2)), null);
  assert.equal(state.addPoints("s", 1, undefined), null);
  state.apply(ev("stroke.end", { stroke_id: "s", points: line(1) }, agent));
  assert.equal(state.addPoints("s", 1, [[0.5, 0.5]]), null);
  assert.deepEqual(state.stroke("s").points, line(1));
});

test("a local stroke shows at once and is not doubled by the server's echo", () => {
  const state = fresh();
  state.beginLocalStroke({ stroke_id: "L", color: "#0000ff", width: 0.01, points: line(1) });
  state.extendLocalStroke("L", line(3).slice(1));
  assert.equal(state.visibleStrokes().length, 1);
  state.apply(
    ev("stroke.begin", { stroke_id: "L", color: "#0000ff", width: 0.01, points: line(1) }),
  );
  let strokes = state.visibleStrokes();
  assert.equal(strokes.length, 1);
  assert.equal(strokes[0].points.length, 3, "the overlay, not the server's one point");
  state.finishLocalStroke("L");
  assert.equal(state.localStrokes().length, 1, "kept until the server's stroke.end");
  state.apply(ev("stroke.end", { stroke_id: "L", points: line(3) }));
  strokes = state.visibleStrokes();
  assert.equal(strokes.length, 1);
  assert.deepEqual(strokes[0].points, line(3));
  assert.equal(strokes[0].done, true);
  assert.deepEqual(state.localStrokes(), []);
});

test("a snapshot keeps the local strokes and shows the points of open strokes", () => {
  const state = fresh();
  state.beginLocalStroke({ stroke_id: "L", color: "#0000ff", width: 0.01, points: line(1) });
  state.extendLocalStroke("L", line(4).slice(1));
  assert.equal(state.localStrokes()[0].accepted, false);
  state.acceptLocalStroke("L");
  const open = { stroke_id: "L", actor_id: shopper.id, color: "#0000ff", width: 0.01 };
  state.loadSnapshot({ ...snapshot, strokes: [{ ...open, points: line(2), done: false }] });
  assert.deepEqual(state.stroke("L").points, line(2));
  assert.deepEqual(
    state.localStrokes().map((s) => [s.stroke_id, s.points.length, s.accepted]),
    [["L", 4, true]],
  );
  assert.deepEqual(state.visibleStrokes()[0].points, line(4), "the overlay does not flicker");
});

test("uploads follow processing, ready and failed events by upload id", () => {
  const state = fresh();
  const variants = { thumb_webp: { url: "/api/x/thumb_webp?sig=1", width: 320, height: 240 } };
  state.apply(
    ev("media.processing", { upload_id: "u_1", media_id: "ab", kind: "image", name: "a.jpg" }),
  );
  state.apply(
    ev("media.processing", { upload_id: "u_2", media_id: "cd", kind: "video", name: "b.mp4" }),
  );
  state.apply(
    ev("media.ready", {
      upload_id: "u_1",
      media: { id: "ab", kind: "image", blurry: false, variants },
    }),
  );
  state.apply(ev("media.failed", { upload_id: "u_2", media_id: "cd", reason: "unsupported" }));
  const [first, second] = state.uploads;
  assert.deepEqual([first.status, first.mediaId, first.name], ["ready", "ab", "a.jpg"]);
  assert.equal(first.media.variants.thumb_webp.url, "/api/x/thumb_webp?sig=1");
  assert.deepEqual([second.status, second.reason], ["failed", "unsupported"]);
  assert.equal(state.upload("cd"), second);
  assert.equal(state.timeline.length, 2);
});

test("an upload this client sent is found by the upload id it chose", () => {
  const state = fresh();
  const theirs = { upload_id: "u_theirs", media_id: "ab", kind: "image", name: "x.jpg" };
  const mine = { upload_id: "u_mine", media_id: "ab", kind: "image", name: "x.jpg" };
  assert.equal(state.findUpload({ uploadId: "u_mine" }), undefined, "not announced yet");
  state.apply(ev("media.processing", theirs, agent));
  assert.equal(state.findUpload({ uploadId: "u_mine" }), undefined, "same bytes, other upload");
  state.apply(ev("media.processing", mine));
  const found = state.findUpload({ uploadId: "u_mine" });
  assert.equal(found.uploadId, "u_mine");
  assert.equal(found.status, "processing");
  state.apply(ev("media.ready", { upload_id: "u_mine", media: { id: "ab", kind: "image" } }));
  assert.equal(state.findUpload({ uploadId: "u_mine" }), found);
  assert.equal(found.status, "ready");
  assert.equal(state.findUpload({ uploadId: "u_other" }), undefined);
  assert.equal(state.findUpload({}), undefined);
});

test("an upload known only from a snapshot's ready items is found by its media id", () => {
  const state = fresh();
  state.loadSnapshot({
    ...snapshot,
    media_items: [{ id: "ab", kind: "image", variants: {}, uploaded_by: shopper, seq: 3 }],
    media_pending: [{ upload_id: "u_2", media_id: "cd", kind: "image", uploaded_by: shopper }],
  });
  assert.equal(state.findUpload({ uploadId: "u_1" }), undefined, "the item names no upload id");
  assert.equal(state.findUpload({ uploadId: "u_1", mediaId: "ab" }).mediaId, "ab");
  assert.equal(state.findUpload({ uploadId: "u_2" }).mediaId, "cd");
});

test("a snapshot's gallery puts uploads in the timeline by their seq when known", () => {
  const state = fresh();
  state.loadSnapshot({
    ...snapshot,
    media_items: [
      {
        id: "ab",
        kind: "image",
        name: "old.jpg",
        blur_score: 80,
        blurry: false,
        variants: {},
        uploaded_by: shopper,
        seq: 3,
      },
    ],
    media_pending: [
      { upload_id: "u_9", media_id: "ef", kind: "image", name: "new.jpg", uploaded_by: shopper },
    ],
  });
  assert.deepEqual(
    state.uploads.map((u) => [u.mediaId, u.status]),
    [
      ["ef", "processing"],
      ["ab", "ready"],
    ],
  );
  assert.equal(state.uploads[0].actor.id, shopper.id);
  assert.deepEqual(
    state.timeline.map((item) => [item.kind, item.seq]),
    [
      ["upload", 0],
      ["message", 2],
      ["upload", 3],
      ["system", 3.5],
    ],
  );
});

const caller = { id: "k_1", role: "caller", name: "Caller" };
const said = (n, actor) => ({
  seq: n,
  type: "chat.message",
  at: n,
  actor,
  data: { text: `m${n}` },
});
const timelineOf = (state) =>
  state.timeline.map((item) =>
    item.kind === "system"
      ? `${item.type} ${item.data.agent?.name ?? item.data.member?.name ?? ""}`.trim()
      : item.text,
  );

test("a snapshot shows who joined: before their first message, or after the messages", () => {
  const state = fresh(caller.id);
  state.loadSnapshot({
    ...snapshot,
    seq: 7,
    messages: [said(2, shopper), said(4, agent), said(5, shopper)],
    callers: [{ id: "k_1", name: "Caller" }],
  });
  assert.deepEqual(timelineOf(state), [
    "m2",
    "conversation.accepted Ana",
    "m4",
    "m5",
    "member.joined Caller",
  ]);
  const joined = state.timeline.at(-1);
  assert.equal(joined.data.member.role, "caller");
  state.apply({ ...said(8, caller), type: "chat.message", conversation_id: "c_1" });
  assert.equal(state.timeline.at(-1).text, "m8");
});

test("a snapshot's notices go exactly where the server's seq says", () => {
  const state = fresh();
  state.loadSnapshot({
    ...snapshot,
    seq: 7,
    agent: { id: "a_1", name: "Ana", seq: 3 },
    callers: [{ id: "k_1", name: "Caller", seq: 5 }],
    messages: [said(2, shopper), said(4, shopper), said(6, caller)],
  });
  assert.deepEqual(timelineOf(state), [
    "m2",
    "conversation.accepted Ana",
    "m4",
    "member.joined Caller",
    "m6",
  ]);
});

test("a notice seen live keeps its place and is not doubled by a later snapshot", () => {
  const state = fresh();
  state.apply(ev("chat.message", { text: "first" }));
  state.apply(ev("conversation.accepted", { agent: { id: "a_1", name: "Ana" } }, agent));
  state.apply(ev("chat.message", { text: "second" }));
  state.loadSnapshot({
    ...snapshot,
    seq: 3,
    status: "closed",
    messages: [
      { ...said(1, shopper), data: { text: "first" } },
      { ...said(3, shopper), data: { text: "second" } },
    ],
  });
  assert.deepEqual(timelineOf(state), [
    "first",
    "conversation.accepted Ana",
    "second",
    "conversation.closed",
  ]);
  state.apply(ev("conversation.closed", {}, agent));
  assert.equal(state.timeline.filter((item) => item.type === "conversation.closed").length, 1);
});

test("uploads follow processing, ready and failed events by media id", () => {
  const state = fresh();
  state.apply(ev("media.processing", { media: { id: "md1", kind: "image" } }));
  state.apply(ev("chat.message", { text: "look" }));
  state.apply(
    ev("media.ready", {
      media: {
        id: "md1",
        kind: "image",
        blur_score: 12.5,
        blurry: true,
        variants: { thumb_webp: "/media/t.webp" },
      },
    }),
  );
  state.apply(ev("media.processing", { media: { id: "md2", kind: "video" } }));
  state.apply(ev("media.failed", { media: { id: "md2" }, reason: "unsupported" }));
  const [first, second] = state.uploads;
  assert.equal(first.status, "ready");
  assert.equal(first.media.blurry, true);
  assert.equal(first.media.variants.thumb_webp, "/media/t.webp");
  assert.equal(second.status, "failed");
  assert.equal(second.reason, "unsupported");
  assert.deepEqual(
    state.timeline.map((i) => i.kind),
    ["upload", "message", "upload"],
  );
  assert.equal(state.upload("md1"), first);
});

test("read marks keep the highest seq per actor and ignore the local actor", () => {
  const state = fresh();
  state.apply(ev("chat.read", { seq: 5 }, agent));
  state.apply(ev("chat.read", { seq: 3 }, agent));
  state.apply(ev("chat.read", { seq: 9 }));
  assert.equal(state.reads.a_1, 5);
  assert.equal(state.readByOthers(), 5);
});

test("snapshot, early events and replay through the sequencer give one consistent state", () => {
  const state = fresh();
  const sequencer = new EventSequencer({
    apply: (e) => state.apply(e),
    resync: () => {},
    schedule: () => () => {},
  });
  sequencer.beginJoin();
  const early = {
    seq: 3,
    type: "chat.message",
    at: 3,
    actor: agent,
    data: { text: "dup" },
  };
  const later = {
    seq: 4,
    type: "chat.message",
    at: 4,
    actor: agent,
    data: { text: "new" },
  };
  sequencer.receive(later);
  sequencer.receive(early);
  state.loadSnapshot({ ...snapshot, messages: [...snapshot.messages, early] });
  sequencer.completeJoin({ ok: true, mode: "snapshot", seq: 3, snapshot });
  assert.deepEqual(
    state.messages.map((m) => m.text),
    ["hi", "dup", "new"],
  );
  assert.equal(state.seq, 4);
});

test("a transfer adds a notice and changes the agent; back to the queue, it waits", () => {
  const state = fresh();
  const bea = { id: "a_2", name: "Bea" };
  state.apply(ev("conversation.opened", { page: null, name: "Shopper" }));
  state.apply(ev("conversation.accepted", { agent: { id: agent.id, name: agent.name } }, agent));
  const toBea = ev("conversation.transferred", { from: agent, to: bea }, agent);
  assert.equal(state.apply(toBea), Change.STATUS);
  assert.equal(state.status, "active");
  assert.deepEqual(state.agent, bea);
  const back = ev("conversation.transferred", { from: bea, to: null }, bea);
  assert.equal(state.apply(back), Change.STATUS);
  assert.equal(state.status, "waiting");
  assert.equal(state.agent, null);
  // The same agent may get it again: every transfer is its own notice.
  state.apply(ev("conversation.transferred", { from: bea, to: bea }, bea));
  const notices = state.timeline.filter((item) => item.type === "conversation.transferred");
  assert.deepEqual(
    notices.map((item) => [item.seq, item.data.to?.id ?? null]),
    [[3, "a_2"], [4, null], [5, "a_2"]],
  );
  assert.equal(state.messages.length, 0);
});

test("a snapshot after a transfer seen live does not add a second notice for the new agent", () => {
  const state = fresh();
  const bea = { id: "a_2", name: "Bea" };
  state.apply(ev("conversation.accepted", { agent: { id: agent.id, name: agent.name } }, agent));
  state.apply(ev("conversation.transferred", { from: agent, to: bea }, agent));
  state.loadSnapshot({ ...snapshot, seq: 2, messages: [], agent: { ...bea, seq: 2 } });
  const about = state.timeline.filter((item) => item.kind === "system");
  assert.deepEqual(
    about.map((item) => item.type),
    ["conversation.accepted", "conversation.transferred"],
  );
  assert.deepEqual(state.agent, { ...bea, seq: 2 });
});

test("a rating comes from the snapshot or the conversation.rated event", () => {
  const state = fresh();
  state.loadSnapshot({ ...snapshot, status: "closed", rating: null });
  assert.equal(state.rating, null);
  assert.equal(state.apply(ev("conversation.rated", { score: 4 })), Change.STATUS);
  assert.deepEqual(state.rating, { score: 4, comment: null });
  const other = fresh();
  other.loadSnapshot({ ...snapshot, status: "closed", rating: { score: 2, comment: "slow" } });
  assert.deepEqual(other.rating, { score: 2, comment: "slow" });
});

test("an internal stand-in only advances seq; nothing is shown", () => {
  const state = fresh();
  state.apply(ev("chat.message", { text: "hi", client_id: "k1" }));
  const stand = { conversation_id: "c_1", seq: (seq += 1), type: "internal", actor: {}, data: {} };
  assert.equal(state.apply(stand), null);
  assert.equal(state.seq, 2);
  assert.equal(state.timeline.length, 1);
  assert.equal(state.notes.length, 0);
});

test("notes from events and the snapshot are note items, never messages", () => {
  const state = fresh(agent.id);
  state.apply(ev("chat.message", { text: "hi", client_id: "k1" }));
  assert.equal(state.apply(ev("note.added", { text: "VIP, be nice" }, agent)), Change.TIMELINE);
  state.loadSnapshot({
    ...snapshot,
    seq: 4,
    messages: [],
    notes: [
      { seq: 2, type: "note.added", at: 2, actor: agent, data: { text: "VIP, be nice" } },
      { seq: 4, type: "note.added", at: 4, actor: agent, data: { text: "refund sent" } },
    ],
  });
  assert.deepEqual(
    state.notes.map((item) => [item.kind, item.seq, item.text]),
    [
      ["note", 2, "VIP, be nice"],
      ["note", 4, "refund sent"],
    ],
  );
  assert.deepEqual(
    state.messages.map((item) => item.text),
    ["hi"],
  );
  assert.equal(state.lastIncomingSeq(), 1);
});

test("visitor and by_phone follow the opening, the identification and the first message", () => {
  const state = fresh();
  state.apply(ev("conversation.opened", { page: null, name: "Shopper", by_phone: true }));
  assert.equal(state.byPhone, true);
  const visitor = { name: "Ann", email: "ann@example.com", verified: true, customer_id: "42" };
  assert.equal(state.apply(ev("visitor.identified", { visitor })), Change.STATUS);
  assert.deepEqual(state.visitor, visitor);
  assert.equal(state.name, "Ann");
  state.apply(ev("chat.message", { text: "hello", client_id: "k" }));
  assert.equal(state.byPhone, false);
});

test("a photo's other variants come in media.updated: same item, same place, still ready", () => {
  const state = fresh();
  state.apply(ev("media.processing", { upload_id: "u_1", media_id: "ab", kind: "image" }));
  const first = { display_jpeg: { url: "/d.jpg" } };
  state.apply(ev("media.ready", { upload_id: "u_1", media: { id: "ab", variants: first } }));
  const [item] = state.uploads;
  const drawn = item.version;
  const all = { ...first, thumb_webp: { url: "/t.webp" }, display_webp: { url: "/d.webp" } };
  const media = { id: "ab", variants: all, blurry: true };
  assert.equal(state.apply(ev("media.updated", { upload_id: "u_1", media })), Change.TIMELINE);
  assert.deepEqual(state.uploads, [item]);
  assert.equal(item.status, "ready");
  assert.deepEqual(Object.keys(item.media.variants).sort(), Object.keys(all).sort());
  assert.equal(item.media.blurry, true);
  assert.ok(item.version > drawn, "drawn again");
  assert.equal(state.timeline.length, 1);
});

test("media.updated finds a snapshot's item by its media id and ignores unknown media", () => {
  const state = fresh();
  state.loadSnapshot({
    ...snapshot,
    media_items: [{ id: "ab", kind: "image", variants: {}, uploaded_by: shopper, seq: 3 }],
  });
  const media = { id: "ab", kind: "image", variants: { thumb_webp: { url: "/t" } } };
  state.apply(ev("media.updated", { upload_id: "u_1", media }));
  assert.deepEqual(Object.keys(state.upload("ab").media.variants), ["thumb_webp"]);
  const unknown = { upload_id: "u_9", media: { id: "zz", variants: {} } };
  assert.equal(state.apply(ev("media.updated", unknown)), null);
  assert.equal(state.uploads.length, 1);
});
