'use strict';
/*
 * The baseline for bench/relay.py: the least a socket.io server can do and still speak the
 * part of Covisor's protocol the relay benchmark uses. Any non-empty token is accepted, `join`
 * puts the socket in the conversation's room, and every relayed event is acked with the event
 * and pushed to the rest of the room in Covisor's envelope {conversation_id, seq, type, at,
 * actor, data}. Stroke points are as in Covisor: acked with {ok: true}, pushed as `points`
 * {conversation_id, stroke_id, index, points}, and gathered in memory for the stroke's
 * `stroke.end`, which carries the whole line. Nothing is validated or stored, so the gap
 * between this and Covisor is the price of Covisor's validation, authorisation and persistence.
 *
 * For bench/visitors.py it also plays live visitors at their cheapest: `POST /api/visitors` hands
 * out a token, and a page (in the connection's `auth`, as Covisor's widget sends it, or as a
 * `visitor.page`, acked) is pushed at once to the agents' room as a `visitors` message; nothing
 * is stored, batched or matched against invitation rules.
 *
 * With `--workers K` (K > 1) it runs K processes on the port (node:cluster, connections handed
 * round-robin by the primary) whose rooms span them through Redis with socket.io's own Redis
 * adapter (`--redis URL`): the baseline of bench/relay.py's `--server-workers`.
 *
 * Usage: node server.js [--host 127.0.0.1] [--port 8000] [--workers 1] [--redis URL]
 */
const cluster = require('node:cluster');
const { createServer } = require('node:http');
const { parseArgs } = require('node:util');
const { Server } = require('socket.io');

const RELAYED_EVENTS = ['viewer.show', 'stroke.begin', 'stroke.points', 'stroke.end'];
const SEQUENCED_EVENTS = ['viewer.show', 'stroke.begin', 'stroke.end'];
const MAX_PAYLOAD_BYTES = 64 * 1024;

const { values: options } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '8000' },
    workers: { type: 'string', default: '1' },
    redis: { type: 'string' },
  },
});
const WORKERS = Number(options.workers);

if (WORKERS > 1 && cluster.isPrimary) {
  if (!options.redis) throw new Error('--workers above 1 needs --redis');
  for (let worker = 0; worker < WORKERS; worker += 1) cluster.fork();
  const stop = () => {
    for (const worker of Object.values(cluster.workers)) worker.kill('SIGTERM');
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  serve();
}

function serve() {

const lastSeq = new Map();
const lines = new Map();

function nextSeq(conversationId) {
  const seq = (lastSeq.get(conversationId) || 0) + 1;
  lastSeq.set(conversationId, seq);
  return seq;
}

function failure(code, message) {
  return { ok: false, error: { code, message } };
}

function isConversationPayload(payload) {
  return (
    payload !== null &&
    typeof payload === 'object' &&
    typeof payload.conversation_id === 'string' &&
    payload.conversation_id !== ''
  );
}

let visitors = 0;

const httpServer = createServer((request, response) => {
  if (request.method === 'POST' && request.url === '/api/visitors') {
    request.resume();
    visitors += 1;
    response.writeHead(201, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ id: `v_${visitors}`, token: `visitor-${visitors}`, expires_at: 0 }));
    return;
  }
  if (request.url === '/healthz') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"status":"ok"}');
    return;
  }
  response.writeHead(404, { 'content-type': 'application/json' });
  response.end(JSON.stringify(failure('not_found', 'no such route')));
});

const io = new Server(httpServer, { serveClient: false, maxHttpBufferSize: MAX_PAYLOAD_BYTES });
if (options.redis) {
  const { createAdapter } = require('@socket.io/redis-adapter');
  const { createClient } = require('redis');
  const pub = createClient({ url: options.redis });
  const sub = pub.duplicate();
  Promise.all([pub.connect(), sub.connect()]).then(() => io.adapter(createAdapter(pub, sub)));
}

io.use((socket, next) => {
  const token = socket.handshake.auth && socket.handshake.auth.token;
  if (typeof token !== 'string' || token === '') {
    const error = new Error('unauthorized');
    error.data = { code: 'unauthorized', message: 'a token is required' };
    next(error);
    return;
  }
  const role = token.startsWith('agent') ? 'agent' : 'customer';
  socket.data.actor = { id: token, role, name: role === 'agent' ? 'Agent' : 'Shopper' };
  next();
});

io.on('connection', (socket) => {
  if (socket.data.actor.role === 'agent') socket.join('agents');
  const visitorId = socket.handshake.auth.token.startsWith('visitor-')
    ? `v_${socket.handshake.auth.token.slice('visitor-'.length)}`
    : null;

  /** Push the page to the agents; false if it is no page. */
  function viewed(page) {
    if (!visitorId || page === null || typeof page !== 'object' || typeof page.url !== 'string') {
      return false;
    }
    const visitor = { id: visitorId, page: { url: page.url, title: page.title || null }, last_seen: Date.now() };
    io.to('agents').emit('visitors', { visitors: [visitor] });
    return true;
  }

  if (socket.handshake.auth.page !== undefined) viewed(socket.handshake.auth.page);

  socket.on('visitor.page', (payload, ack) => {
    if (typeof ack !== 'function') return;
    ack(viewed(payload) ? { ok: true, invitation: null } : failure('bad_request', 'url is required'));
  });

  socket.on('time', (_payload, ack) => {
    if (typeof ack === 'function') ack({ ok: true, now: Date.now() });
  });

  socket.on('join', (payload, ack) => {
    if (typeof ack !== 'function') return;
    if (!isConversationPayload(payload)) {
      ack(failure('bad_request', 'conversation_id is required'));
      return;
    }
    const conversationId = payload.conversation_id;
    socket.join(conversationId);
    ack({ ok: true, mode: 'snapshot', seq: lastSeq.get(conversationId) || 0, now: Date.now() });
  });

  socket.on('stroke.points', (payload, ack) => {
    if (typeof ack !== 'function') return;
    if (!isConversationPayload(payload)) {
      ack(failure('bad_request', 'conversation_id is required'));
      return;
    }
    const { conversation_id: conversationId, stroke_id: strokeId, points } = payload;
    const line = lines.get(strokeId);
    if (line === undefined || !Array.isArray(points)) {
      ack(failure('bad_request', 'no such stroke'));
      return;
    }
    const index = line.length;
    line.push(...points);
    socket.to(conversationId).emit('points', { conversation_id: conversationId, stroke_id: strokeId, index, points });
    ack({ ok: true });
  });

  for (const type of SEQUENCED_EVENTS) {
    socket.on(type, (payload, ack) => {
      if (typeof ack !== 'function') return;
      if (!isConversationPayload(payload)) {
        ack(failure('bad_request', 'conversation_id is required'));
        return;
      }
      const { conversation_id: conversationId, ...data } = payload;
      if (type === 'stroke.begin') {
        lines.set(data.stroke_id, [...(data.points || [])]);
      } else if (type === 'stroke.end') {
        data.points = lines.get(data.stroke_id) || [];
        lines.delete(data.stroke_id);
      }
      const seq = nextSeq(conversationId);
      const event = {
        conversation_id: conversationId,
        seq,
        type,
        at: Date.now(),
        actor: socket.data.actor,
        data,
      };
      // Like Covisor: the sender gets its event in the ack, everyone else as a push.
      socket.to(conversationId).emit('event', event);
      ack({ ok: true, seq, event });
    });
  }

  socket.onAny((event, ...args) => {
    const ack = args[args.length - 1];
    if (event === 'time' || event === 'join' || event === 'visitor.page') return;
    if (RELAYED_EVENTS.includes(event)) return;
    if (typeof ack === 'function') ack(failure('unknown_event', `unknown event: ${event}`));
  });
});

httpServer.listen(Number(options.port), options.host, () => {
  const { address, port } = httpServer.address();
  console.log(`baseline relay listening on http://${address}:${port}`);
});

function shutDown() {
  io.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutDown);
process.on('SIGINT', shutDown);
}
