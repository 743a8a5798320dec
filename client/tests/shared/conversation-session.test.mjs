import assert from "node:assert/strict";
import { test } from "node:test";

import { localOutboxStorage } from "../../shared/chat-outbox.js";
import { ConversationSession } from "../../shared/conversation-session.js";
import { DEFAULT_LIMITS } from "../../shared/protocol.js";
import { ServerClock } from "../../shared/server-clock.js";
import { PenStroke } from "../../shared/viewer-pen.js";

const me = { id: "u_me", role: "customer", name: "Shopper" };
const agent = { id: "a_1", role: "agent", name: "Ana" };

/** A connection double: records requests and answers them from `handlers`. */
function fakeConnection(handlers = {}) {
  const requests = [];
  return {
    online: true,
    clock: new ServerClock(),
    requests,
    register(session) {
      this.session = session;
    },
    unregister() {},
    async request(event, payload) {
      requests.push({ event, payload });
      if (!this.online) return { ok: false, error: { code: "offline" } };
      const handler = handlers[event];
      return handler ? handler(payload) : { ok: true, seq: 0 };
    },
  };
}

const message = (seq, text, actor, client_id = null) => ({
  conversation_id: "c1",
  seq,
  type: "chat.message",
  at: seq,
  actor,
  data: { text, client_id },
});

const snapshotAck = (seq, messages = []) => ({
  ok: true,
  mode: "snapshot",
  seq,
  now: 0,
  snapshot: {
    conversation_id: "c1",
    seq,
    status: "active",
    messages,
    reads: {},
    media: null,
    strokes: [],
  },
});

const settle = () => new Promise((resolve) => setImmediate(resolve));

test("a first join asks for a snapshot and shows its messages", async () => {
  const connection = fakeConnection({ join: () => snapshotAck(2, [message(2, "hello", agent)]) });
  const session = new ConversationSession({ connection, conversationId: "c1", selfId: me.id });
  await session.join();
  assert.deepEqual(connection.requests[0], { event: "join", payload: { conversation_id: "c1" } });
  assert.equal(session.joined, true);
  assert.deepEqual(
    session.state.messages.map((m) => m.text),
    ["hello"],
  );
});

test("a re-join sends last_seq and applies the replay", async () => {
  let ack = snapshotAck(2, [message(2, "hello", agent)]);
  const connection = fakeConnection({ join: () => ack });
  const session = new ConversationSession({ connection, conversationId: "c1", selfId: me.id });
  await session.join();
  session.disconnected();
  ack = { ok: true, mode: "replay", seq: 3, now: 0, events: [message(3, "still there?", agent)] };
  await session.join();
  assert.deepEqual(connection.requests[1].payload, { conversation_id: "c1", last_seq: 2 });
  assert.deepEqual(
    session.state.messages.map((m) => m.text),
    ["hello", "still there?"],
  );
});

test("chat typed while offline is sent with its client_id after the join", async () => {
  const connection = fakeConnection({
    join: () => snapshotAck(1),
    "chat.send": () => ({ ok: true, seq: 2 }),
  });
  connection.online = false;
  const session = new ConversationSession({ connection, conversationId: "c1", selfId: me.id });
  const entry = session.sendChat("are you there?");
  await session.join();
  assert.equal(connection.requests.filter((r) => r.event === "chat.send").length, 0);
  connection.online = true;
  await session.join();
  await settle();
  const sends = connection.requests.filter((r) => r.event === "chat.send");
  assert.deepEqual(
    sends.map((r) => r.payload),
    [{ conversation_id: "c1", text: "are you there?", client_id: entry.client_id }],
  );
  session.receive(message(2, "are you there?", me, entry.client_id));
  assert.deepEqual(session.outbox.entries, []);
});

test("a message the server stored before the drop is recognised in the replay, not resent", async () => {
  let joins = 0;
  const connection = fakeConnection({
    join: () => {
      joins += 1;
      return joins === 1
        ? snapshotAck(1)
        : { ok: true, mode: "replay", seq: 2, now: 0, events: replayed };
    },
    "chat.send": () => ({ ok: false, error: { code: "offline" } }),
  });
  const session = new ConversationSession({ connection, conversationId: "c1", selfId: me.id });
  await session.join();
  const entry = session.sendChat("hi");
  await settle();
  const replayed = [message(2, "hi", me, entry.client_id)];
  session.disconnected();
  await session.join();
  await settle();
  assert.equal(connection.requests.filter((r) => r.event === "chat.send").length, 1);
  assert.deepEqual(
    session.state.messages.map((m) => m.text),
    ["hi"],
  );
  assert.deepEqual(session.outbox.entries, []);
});

test("a gap in the sequence makes the session join again with last_seq", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const connection = fakeConnection({ join: () => snapshotAck(1) });
  const session = new ConversationSession({ connection, conversationId: "c1", selfId: me.id });
  await session.join();
  session.receive(message(3, "early", agent));
  t.mock.timers.tick(2001);
  await settle();
  const joins = connection.requests.filter((r) => r.event === "join");
  assert.equal(joins.length, 2);
  assert.equal(joins[1].payload.last_seq, 1);
});

test("typing pushes from others are tracked and a message from them clears it", async () => {
  const connection = fakeConnection({ join: () => snapshotAck(1) });
  const session = new ConversationSession({ connection, conversationId: "c1", selfId: me.id });
  await session.join();
  session.onTyping({ conversation_id: "c1", actor: agent, typing: true });
  session.onTyping({ conversation_id: "c1", actor: me, typing: true });
  assert.deepEqual([...session.typing.keys()], ["a_1"]);
  session.receive(message(2, "done", agent));
  assert.equal(session.typing.size, 0);
});

test("members the join answer lists as online are present at once, then follow presence", async () => {
  const ack = { ...snapshotAck(1), online: [agent, me] };
  const connection = fakeConnection({ join: () => ack });
  const session = new ConversationSession({ connection, conversationId: "c1", selfId: me.id });
  const changes = [];
  session.addEventListener("change", (event) => changes.push(event.detail.change));
  await session.join();
  assert.deepEqual([...session.present.keys()], ["a_1"]);
  assert.ok(changes.includes("presence"));
  session.onPresence({ conversation_id: "c1", actor: agent, online: false });
  assert.equal(session.present.size, 0);
  assert.deepEqual([...session.departed.keys()], ["a_1"]);
  session.disconnected();
  await session.join();
  assert.deepEqual([...session.present.keys()], ["a_1"]);
  assert.equal(session.departed.size, 0);
});

test("presence is unknown until pushed, and typing shows a member is there", async () => {
  const connection = fakeConnection({ join: () => snapshotAck(1) });
  const session = new ConversationSession({ connection, conversationId: "c1", selfId: me.id });
  await session.join();
  assert.equal(session.present.size + session.departed.size, 0);
  session.onTyping({ conversation_id: "c1", actor: agent, typing: false });
  assert.deepEqual([...session.present.keys()], ["a_1"]);
  session.onPresence({ conversation_id: "c1", actor: agent, online: false });
  assert.equal(session.present.size, 0);
  assert.deepEqual([...session.departed.keys()], ["a_1"]);
  session.onPresence({ conversation_id: "c1", actor: agent, online: true });
  assert.deepEqual([...session.present.keys()], ["a_1"]);
  assert.equal(session.departed.size, 0);
});

test("someone arriving while the local user types is told at once", async () => {
  const connection = fakeConnection({ join: () => snapshotAck(1) });
  const session = new ConversationSession({ connection, conversationId: "c1", selfId: me.id });
  await session.join();
  session.typingActivity();
  await settle();
  session.onPresence({ conversation_id: "c1", actor: agent, online: true });
  await settle();
  const typing = connection.requests.filter((r) => r.event === "chat.typing");
  assert.deepEqual(
    typing.map((r) => r.payload.typing),
    [true, true],
  );
  session.stopTyping();
  await settle();
});

test("the sender's own event arrives in the ack and is applied once", async () => {
  const own = message(3, "from me", me, "k1");
  const connection = fakeConnection({
    join: () => snapshotAck(2, [message(2, "hello", agent)]),
    "chat.send": () => ({ ok: true, seq: 3, event: own }),
  });
  const session = new ConversationSession({ connection, conversationId: "c1", selfId: me.id });
  await session.join();
  await session.send("chat.send", { text: "from me", client_id: "k1" });
  await settle();
  assert.equal(session.state.messages.at(-1)?.seq, 3);
  session.receive(own);
  await settle();
  assert.deepEqual(
    session.state.messages.map((m) => [m.seq, m.text]),
    [
      [2, "hello"],
      [3, "from me"],
    ],
  );
});

/** Five one-point batches of a stroke sent back to back; returns the batch sizes on the wire. */
async function pointBatchesSent(limits) {
  const connection = fakeConnection();
  const session = new ConversationSession({
    connection,
    conversationId: "c1",
    selfId: me.id,
    sendWindow: 1,
    ...(limits ? { limits } : {}),
  });
  const acks = [1, 2, 3, 4, 5].map((i) =>
    session.send("stroke.points", { stroke_id: "s1", points: [[i / 10, 0.5]] }),
  );
  await Promise.all(acks);
  return connection.requests
    .filter((request) => request.event === "stroke.points")
    .map((request) => request.payload.points.length);
}

test("queued point batches merge up to the server's max_stroke_points", async () => {
  assert.deepEqual(await pointBatchesSent(), [1, 4], "default 256: all waiting ones merge");
  const limits = { ...DEFAULT_LIMITS, max_stroke_points: 3 };
  assert.deepEqual(await pointBatchesSent(limits), [1, 3, 1]);
});

test("a session keeps the limits it was given, the defaults otherwise", () => {
  const connection = fakeConnection();
  const plain = new ConversationSession({ connection, conversationId: "c1", selfId: me.id });
  assert.equal(plain.limits, DEFAULT_LIMITS);
  const limits = { ...DEFAULT_LIMITS, max_stroke_points: 64 };
  const tuned = new ConversationSession({
    connection,
    conversationId: "c1",
    selfId: me.id,
    limits,
  });
  assert.equal(tuned.limits.max_stroke_points, 64);
});

test("a session paces its events under the rate limits it was given", async () => {
  const connection = fakeConnection();
  const limits = { ...DEFAULT_LIMITS, other_rate: { rate: 20, burst: 2 } };
  const session = new ConversationSession({
    connection,
    conversationId: "c1",
    selfId: me.id,
    limits,
  });
  const started = Date.now();
  const acks = [1, 2, 3].map(() => session.send("stroke.undo"));
  acks.push(...[1, 2].map((seq) => session.send("chat.read", { seq })));
  await settle();
  const sent = (event) => connection.requests.filter((request) => request.event === event).length;
  assert.equal(sent("chat.read"), 1, "a burst of 2, one kept back for joins");
  assert.equal(sent("stroke.undo"), 3, "strokes have their own, default, bucket");
  await Promise.all(acks);
  assert.equal(sent("chat.read"), 2);
  assert.ok(Date.now() - started >= 40, "the second waited for a token (20 per second)");
});

/** An in-memory stand-in for localStorage. */
function memoryStore() {
  const items = new Map();
  return {
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => items.set(key, String(value)),
    removeItem: (key) => items.delete(key),
    items,
  };
}

test("messages typed offline survive a reload and are sent once, in order, after the join", async () => {
  const store = memoryStore();
  const storage = () => localOutboxStorage("covisor:outbox:c1:u_me", store);
  const offline = fakeConnection();
  offline.online = false;
  const before = new ConversationSession({
    connection: offline,
    conversationId: "c1",
    selfId: me.id,
    outboxStorage: storage(),
  });
  const typed = ["one", "two", "three"].map((text) => before.sendChat(text).client_id);
  assert.equal(JSON.parse(store.items.get("covisor:outbox:c1:u_me")).length, 3);

  // The page reloads: a new session on a new connection finds the three messages.
  let seq = 2;
  const sends = [];
  const connection = fakeConnection({
    join: () => snapshotAck(2, [message(2, "hello", agent)]),
    "chat.send": (payload) => {
      sends.push(payload);
      seq += 1;
      return { ok: true, seq, event: message(seq, payload.text, me, payload.client_id) };
    },
  });
  const after = new ConversationSession({
    connection,
    conversationId: "c1",
    selfId: me.id,
    outboxStorage: storage(),
  });
  assert.deepEqual(
    after.outbox.entries.map((entry) => [entry.text, entry.status]),
    [
      ["one", "queued"],
      ["two", "queued"],
      ["three", "queued"],
    ],
  );
  await after.join();
  assert.equal(
    sends.length,
    3,
    "all three are on the wire before the first ack is handled (pipelined)",
  );
  await settle();
  assert.deepEqual(
    sends.map((payload) => payload.client_id),
    typed,
  );
  assert.deepEqual(
    after.state.messages.map((m) => m.text),
    ["hello", "one", "two", "three"],
  );
  assert.equal(after.outbox.entries.length, 0);
  assert.equal(store.items.has("covisor:outbox:c1:u_me"), false, "nothing left in storage");
});

test("a stored message the snapshot already shows is dropped from the outbox, not resent", async () => {
  const store = memoryStore();
  const storage = localOutboxStorage("k", store);
  store.setItem(
    "k",
    JSON.stringify([
      { client_id: "m_a", text: "arrived", status: "sending", createdAt: 1 },
      { client_id: "m_b", text: "lost", status: "sending", createdAt: 2 },
    ]),
  );
  const sends = [];
  const connection = fakeConnection({
    join: () => snapshotAck(3, [message(3, "arrived", me, "m_a")]),
    "chat.send": (payload) => {
      sends.push(payload.client_id);
      return { ok: true, seq: 4, event: message(4, payload.text, me, payload.client_id) };
    },
  });
  const session = new ConversationSession({
    connection,
    conversationId: "c1",
    selfId: me.id,
    outboxStorage: storage,
  });
  await session.join();
  await settle();
  assert.deepEqual(sends, ["m_b"]);
  assert.deepEqual(
    session.state.messages.map((m) => m.text),
    ["arrived", "lost"],
  );
});

test("the visible region goes out as viewer.view; others' regions are kept until they leave", async () => {
  const connection = fakeConnection({ join: () => snapshotAck(1) });
  const session = new ConversationSession({ connection, conversationId: "c1", selfId: me.id });
  await session.join();
  session.pushView({ cx: 0.4, cy: 0.3, w: 0.5, h: 0.25, extra: 1 });
  await settle();
  const sent = connection.requests.filter((r) => r.event === "viewer.view");
  assert.deepEqual(sent, [
    { event: "viewer.view", payload: { conversation_id: "c1", cx: 0.4, cy: 0.3, w: 0.5, h: 0.25 } },
  ]);
  const changes = [];
  session.addEventListener("change", (event) => changes.push(event.detail.change));
  session.onView({ conversation_id: "c1", actor: me, cx: 0.5, cy: 0.5, w: 1, h: 1 });
  session.onView({ conversation_id: "c1", actor: agent, cx: 0.2, cy: 0.2, w: "x", h: 1 });
  assert.equal(session.views.size, 0, "own and malformed regions are ignored");
  session.onView({ conversation_id: "c1", actor: agent, cx: 0.2, cy: 0.3, w: 0.4, h: 0.5 });
  assert.deepEqual(session.views.get(agent.id), { actor: agent, cx: 0.2, cy: 0.3, w: 0.4, h: 0.5 });
  session.onPresence({ conversation_id: "c1", actor: agent, online: false });
  assert.equal(session.views.size, 0);
  assert.ok(changes.filter((c) => c === "view").length === 2, changes);
});

test("a transform carries the sender's region only when it has one", async () => {
  const connection = fakeConnection({ join: () => snapshotAck(1) });
  const session = new ConversationSession({ connection, conversationId: "c1", selfId: me.id });
  await session.join();
  session.pushTransform({ zoom: 2, cx: 0.4, cy: 0.5, w: 0.5, h: 0.4 });
  await session.flushTransform();
  const sent = connection.requests.filter((r) => r.event === "viewer.transform");
  assert.deepEqual(sent.at(-1).payload, {
    conversation_id: "c1",
    zoom: 2,
    cx: 0.4,
    cy: 0.5,
    w: 0.5,
    h: 0.4,
  });
});

const line = (n) => Array.from({ length: n }, (_, i) => [i / 100, 0.5]);
const stroke = (id, points, done = false, actor = me) => ({
  stroke_id: id,
  actor_id: actor.id,
  color: "#ff0000",
  width: 0.01,
  points,
  done,
});
const withStrokes = (ack, strokes) => ({ ...ack, snapshot: { ...ack.snapshot, strokes } });
const strokeEvent = (seq, type, data, actor = me) => ({
  conversation_id: "c1",
  seq,
  type,
  at: seq,
  actor,
  data,
});
const strokeRequests = (connection) =>
  connection.requests
    .filter((r) => r.event.startsWith("stroke."))
    .map(({ event, payload: { stroke_id, index, points } }) =>
      event === "stroke.points" ? [event, stroke_id, index, points.length] : [event, stroke_id],
    );

/** A join answered only when the test says so: `answer(ack)`. */
function heldJoin() {
  let answer;
  const ack = new Promise((resolve) => {
    answer = resolve;
  });
  return { ack, answer: (value) => answer(value) };
}

test("points pushes grow another member's stroke and report a strokes change", async () => {
  const connection = fakeConnection({
    join: () => withStrokes(snapshotAck(1), [stroke("s", line(1), false, agent)]),
  });
  const session = new ConversationSession({ connection, conversationId: "c1", selfId: me.id });
  const changes = [];
  session.addEventListener("change", (event) => changes.push(event.detail.change));
  await session.join();
  changes.length = 0;
  session.onPoints({ conversation_id: "c1", stroke_id: "s", index: 1, points: line(3).slice(1) });
  session.onPoints({ conversation_id: "c1", stroke_id: "s", index: 1, points: line(2).slice(1) });
  session.onPoints({ conversation_id: "c1", stroke_id: "other", index: 1, points: line(2) });
  assert.deepEqual(session.state.stroke("s").points, line(3));
  assert.deepEqual(changes, ["strokes"], "only the push that added points");
});

test("points pushes during a join are applied after its snapshot or replay", async () => {
  const first = heldJoin();
  let join = () => first.ack;
  const connection = fakeConnection({ join: () => join() });
  const session = new ConversationSession({ connection, conversationId: "c1", selfId: me.id });
  const joined = session.join();
  session.onPoints({ conversation_id: "c1", stroke_id: "s", index: 1, points: line(4).slice(1) });
  assert.equal(session.state.stroke("s"), undefined);
  first.answer(withStrokes(snapshotAck(1), [stroke("s", line(2), false, agent)]));
  await joined;
  assert.deepEqual(session.state.stroke("s").points, line(4), "the overlap with the snapshot once");

  session.disconnected();
  const second = heldJoin();
  join = () => second.ack;
  const rejoined = session.join();
  session.onPoints({ conversation_id: "c1", stroke_id: "t", index: 1, points: line(3).slice(1) });
  const begin = { stroke_id: "t", color: "#ff0000", width: 0.01, points: line(1) };
  const events = [strokeEvent(2, "stroke.begin", begin, agent)];
  second.answer({ ok: true, mode: "replay", seq: 2, now: 0, events });
  await rejoined;
  assert.deepEqual(session.state.stroke("t").points, line(3));
});

test("a pen's batches carry their index; its begin's ack marks the stroke accepted", async () => {
  const connection = fakeConnection({
    join: () => snapshotAck(1),
    "stroke.begin": (payload) => ({
      ok: true,
      seq: 2,
      event: strokeEvent(2, "stroke.begin", { ...payload, conversation_id: undefined }),
    }),
    "stroke.points": () => ({ ok: true }),
    "stroke.end": (payload) => ({
      ok: true,
      seq: 3,
      event: strokeEvent(3, "stroke.end", { stroke_id: payload.stroke_id, points: line(4) }),
    }),
  });
  const session = new ConversationSession({ connection, conversationId: "c1", selfId: me.id });
  await session.join();
  const pen = new PenStroke({
    session,
    start: line(1)[0],
    color: "#ff0000",
    width: 0.01,
    shownWidth: 1000,
    onRefused: assert.fail,
  });
  await settle();
  assert.equal(session.state.localStrokes()[0].accepted, true);
  for (const point of line(4).slice(1)) pen.extend(point);
  pen.finish();
  await settle();
  assert.deepEqual(strokeRequests(connection), [
    ["stroke.begin", pen.strokeId],
    ["stroke.points", pen.strokeId, 1, 1],
    ["stroke.points", pen.strokeId, 2, 2],
    ["stroke.end", pen.strokeId],
  ]);
  assert.deepEqual(session.state.localStrokes(), [], "the server's stroke.end took over");
  assert.deepEqual(session.state.visibleStrokes()[0].points, line(4));
});

/**
 * A session that joined once (at seq 1) and has an accepted local stroke "L" of `points` points,
 * then lost its connection; `handlers.join` answers the joins after the first.
 */
async function drawing(handlers, { points = 10, done = true } = {}) {
  let joins = 0;
  const connection = fakeConnection({
    ...handlers,
    join: (payload) => (++joins === 1 ? snapshotAck(1) : handlers.join(payload)),
  });
  const limits = { ...DEFAULT_LIMITS, max_stroke_points: 3 };
  const session = new ConversationSession({
    connection,
    conversationId: "c1",
    selfId: me.id,
    limits,
  });
  await session.join();
  session.state.beginLocalStroke(stroke("L", line(1)));
  session.state.acceptLocalStroke("L");
  session.state.extendLocalStroke("L", line(points).slice(1));
  if (done) session.state.finishLocalStroke("L");
  session.disconnected();
  connection.requests.length = 0;
  return { connection, session };
}

test("a rejoin while drawing gets a snapshot, sends the points it lacks, then the end", async () => {
  let ack = withStrokes(snapshotAck(2), [stroke("L", line(2))]);
  const { connection, session } = await drawing({
    join: () => ack,
    "stroke.points": () => ({ ok: true }),
    "stroke.end": () => ({
      ok: true,
      seq: 3,
      event: strokeEvent(3, "stroke.end", { stroke_id: "L", points: line(10) }),
    }),
  });
  await session.join();
  await settle();
  assert.deepEqual(connection.requests[0], { event: "join", payload: { conversation_id: "c1" } });
  assert.deepEqual(strokeRequests(connection), [
    ["stroke.points", "L", 2, 3],
    ["stroke.points", "L", 5, 3],
    ["stroke.points", "L", 8, 2],
    ["stroke.end", "L"],
  ]);
  const sent = connection.requests.filter((r) => r.event === "stroke.points");
  assert.deepEqual(
    sent.flatMap((r) => r.payload.points),
    line(10).slice(2),
  );
  assert.deepEqual(session.state.localStrokes(), []);
  assert.deepEqual(session.state.visibleStrokes()[0].points, line(10));

  session.disconnected();
  ack = { ok: true, mode: "replay", seq: 3, now: 0, events: [] };
  await session.join();
  assert.equal(connection.requests.at(-1).payload.last_seq, 3, "nothing drawn: a replay again");
});

test("a rejoin mid-stroke sends the missing points, and no end while the pen is down", async () => {
  const { connection, session } = await drawing(
    { join: () => withStrokes(snapshotAck(2), [stroke("L", line(1))]) },
    { points: 4, done: false },
  );
  await session.join();
  await settle();
  assert.deepEqual(strokeRequests(connection), [["stroke.points", "L", 1, 3]]);
  assert.equal(session.state.localStrokes().length, 1, "the overlay stays while drawn");
});

test("a rejoin drops a local stroke the server no longer has, or has ended", async () => {
  const ended = stroke("E", line(3), true);
  const { connection, session } = await drawing({
    join: () => withStrokes(snapshotAck(3), [ended]),
  });
  session.state.beginLocalStroke(stroke("E", line(3)));
  session.state.acceptLocalStroke("E");
  session.state.beginLocalStroke(stroke("P", line(1)));
  await session.join();
  await settle();
  assert.deepEqual(strokeRequests(connection), []);
  assert.deepEqual(
    session.state.localStrokes().map((s) => s.stroke_id),
    ["P"],
    "P's stroke.begin is not answered yet: the snapshot cannot tell",
  );
  assert.deepEqual(
    session.state.visibleStrokes().map((s) => [s.stroke_id, s.points.length, s.done]),
    [
      ["E", 3, true],
      ["P", 1, false],
    ],
  );
});

test("stroke commands sent during a resyncing join wait for it; the end goes once", async () => {
  const pending = heldJoin();
  const { connection, session } = await drawing(
    { join: () => pending.ack, "stroke.end": () => ({ ok: false, error: { code: "x" } }) },
    { points: 4, done: false },
  );
  const joined = session.join();
  session.state.extendLocalStroke("L", line(6).slice(4));
  const points = line(6).slice(4);
  const batch = session.send("stroke.points", { stroke_id: "L", index: 4, points });
  session.state.finishLocalStroke("L");
  const end = session.send("stroke.end", { stroke_id: "L" });
  await settle();
  assert.deepEqual(strokeRequests(connection), [], "held while the join is in flight");
  pending.answer(withStrokes(snapshotAck(2), [stroke("L", line(2))]));
  await joined;
  assert.deepEqual(await batch, { ok: true, seq: 0 });
  assert.deepEqual(await end, { ok: false, error: { code: "x" } }, "its own ack");
  assert.deepEqual(strokeRequests(connection), [
    ["stroke.points", "L", 2, 3],
    ["stroke.points", "L", 5, 1],
    ["stroke.points", "L", 4, 2],
    ["stroke.end", "L"],
  ]);
});
