"""Socket.IO client managers: every emit, in one process or many, takes the same path.

python-socketio's `AsyncManager.emit` encodes a broadcast once but then creates a task per
recipient and waits for them all; at stroke rates that bookkeeping cost as much as the relay
itself (bench/relay.py). `LocalFanout`, the manager of one process, keeps the single encoding
and queues the packet on each local recipient's socket directly, in order, with no task per
recipient.

The managers are passed to `socketio.AsyncServer(client_manager=...)`, so the server and the
adapters only ever call `sio.emit`: `LocalFanout` alone in one process, `RedisBroadcast` across
processes. The Redis manager hands each emit to its local delivery (`_handle_emit`, which calls
the next class in the MRO: `LocalFanout.emit`) and publishes it to the other processes, whose
listeners deliver it locally through the same `LocalFanout.emit`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

import redis.asyncio
import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet

from covisor.kernel.metrics import Metrics
from covisor.realtime.wire import TrustedJson

log = logging.getLogger(__name__)


class LocalFanout(socketio.AsyncManager):  # type: ignore[misc]
    """Delivery to this process's sockets: one encoding, one queued packet per recipient.

    It also knows each socket's rooms. python-socketio finds them by testing every room of the
    namespace (`basic_disconnect`, `get_rooms`), so each disconnect cost time in proportion to
    the sockets open: with 2,000 visitor pages open, about half the server's CPU per page
    view went to the previous page's disconnect (bench/visitors.py, docs/BENCHMARKS.md)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rooms_of: dict[tuple[str, str], set[str | None]] = {}
        """(namespace, sid) → the rooms it is in, None (the namespace itself) included."""

    def basic_enter_room(
        self, sid: str, namespace: str, room: str | None, eio_sid: str | None = None
    ) -> None:
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        self._rooms_of.setdefault((namespace, sid), set()).add(room)

    def basic_leave_room(self, sid: str, namespace: str, room: str | None) -> None:
        super().basic_leave_room(sid, namespace, room)
        rooms = self._rooms_of.get((namespace, sid))
        if rooms is not None:
            rooms.discard(room)
            if not rooms:
                del self._rooms_of[(namespace, sid)]

    def basic_disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        """python-socketio's `basic_disconnect`, leaving only the socket's own rooms."""
        for room in list(self._rooms_of.get((namespace, sid), ())):
            self.basic_leave_room(sid, namespace, room)
        self.callbacks.pop(sid, None)
        for pending in (self.pending_connect, self.pending_disconnect):
            sids = pending.get(namespace)
            if sids is not None and sid in sids:
                sids.remove(sid)
                if not sids:
                    del pending[namespace]

    def get_rooms(self, sid: str, namespace: str) -> list[str]:
        return [room for room in self._rooms_of.get((namespace, sid), ()) if room is not None]

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: str | None = None,
        skip_sid: str | list[str] | None = None,
        callback: Any = None,
        to: str | None = None,
        **kwargs: Any,
    ) -> None:
        if callback is not None:
            await super().emit(
                event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to
            )
            return
        room = to or room
        if namespace not in self.rooms:
            return
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        server = self.server
        encoded = server.packet_class(
            sio_packet.EVENT, namespace=namespace, data=[event, *args]
        ).encode()
        packets = [
            eio_packet.Packet(eio_packet.MESSAGE, part)
            for part in (encoded if isinstance(encoded, list) else [encoded])
        ]
        for sid, eio_sid in list(self.get_participants(namespace, room)):
            if sid in skip:
                continue
            for message in packets:
                await server.eio.send_packet(eio_sid, message)

    async def close(self) -> None:
        """Release what the manager holds beyond its sockets (nothing, in one process)."""

    def behind(self) -> float:
        """Seconds the oldest broadcast for other processes has waited to be sent (none
        alone): what the server runs late by on that path, for shedding (realtime/handlers.py)."""
        return 0.0

    async def ping(self) -> None:
        """Raise if the manager cannot reach the other processes (always fine alone)."""


Scope = Callable[[str], str | None]
"""The part of the relay a room belongs to (a conversation, an agent's consoles), or None for a
room any process may have members of."""


class RedisBroadcast(socketio.AsyncRedisManager, LocalFanout):  # type: ignore[misc]
    """Several processes sharing rooms through Redis pub/sub; local delivery by `LocalFanout`.

    python-socketio publishes every emit on one channel, which every process reads and decodes
    whether it has members in the room or not (bench/pubsub.py: 51 µs a message), so the
    cluster's cost grew with its processes times its event rate. Here an emit to the rooms of
    one `scope` (a conversation's shoppers and agents, an agent's consoles) is published on that
    scope's own channel, which a process subscribes to only while one of its sockets is in one
    of those rooms: Redis hands the message to those processes alone. Entering the first room
    of a scope waits until Redis confirms the subscription, so a joiner's snapshot and the
    events published after it never leave a gap. Everything else (the agents' room, room
    changes of remote sockets, callbacks) stays on the shared channel.

    Publishing does not hold up an emit: messages queue in order and one task sends whatever
    has queued meanwhile in one pipeline, a single round trip to Redis. Awaiting each PUBLISH
    in turn made a round of thirty events wait thirty round trips, which under load took a
    process tens of milliseconds (bench/relay.py with two workers).
    """

    def __init__(self, url: str, channel: str, metrics: Metrics, scope: Scope) -> None:
        super().__init__(url, channel=channel)
        self._clients: list[Any] = []
        self._metrics = metrics
        self._scope = scope
        self._scope_rooms: dict[str, set[str]] = {}
        self._subscribed: set[str] = set()
        self._following: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()
        self._confirmations: dict[bytes, asyncio.Future[None]] = {}
        self._listening = asyncio.Event()
        self._listened = False
        self._listener: Any = None
        self._outbox: list[tuple[str, str]] = []
        self._outbox_since: float | None = None
        self._sending_since: float | None = None
        self._sending: asyncio.Task[None] | None = None

    async def ping(self) -> None:
        client = redis.asyncio.from_url(self.redis_url)
        try:
            await client.ping()
        finally:
            await client.aclose()

    def channel_of(self, scope: str) -> str:
        return f"{self.channel}:{scope}"

    async def _publish(self, data: Any) -> None:
        """Queue a message for the other processes, on the channel of the emit's scope when it
        has one. An emit to one of this process's own sockets is not published at all."""
        channel = self.channel
        if data.get("method") == "emit":
            rooms = data["room"] if isinstance(data["room"], list) else [data["room"]]
            if len(rooms) == 1 and self.is_connected(rooms[0], data["namespace"]):
                return
            scopes = {self._scope(room) if room is not None else None for room in rooms}
            if len(scopes) == 1 and (scope := scopes.pop()) is not None:
                channel = self.channel_of(scope)
        if len(self._outbox) >= _OUTBOX_LIMIT:
            self._metrics.redis_errors.inc()
            log.error("Redis is not taking broadcasts; one for %s was dropped", channel)
            return
        if not self._outbox:
            self._outbox_since = time.monotonic()
        self._outbox.append((channel, self.json.dumps(data)))
        if self._sending is None or self._sending.done():
            self._sending = asyncio.get_running_loop().create_task(self._send_outbox())

    async def _send_outbox(self) -> None:
        """Publish what has queued, in order, a pipeline at a time, reconnecting once; count
        what Redis refused or left unanswered for `_PUBLISH_SECONDS` (python-socketio's own
        `_publish` only logs it). Members on other processes who missed a broadcast fill the
        gap from the event log, as after any lost one."""
        while self._outbox:
            batch, self._outbox = self._outbox, []
            self._sending_since, self._outbox_since = self._outbox_since, None
            for attempt in range(2):
                try:
                    if not getattr(self, "connected", False):
                        self._redis_connect()
                    async with self.redis.pipeline(transaction=False) as pipe:
                        for channel, message in batch:
                            pipe.publish(channel, message)
                        await asyncio.wait_for(pipe.execute(), _PUBLISH_SECONDS)
                    break
                except Exception as exc:
                    self._metrics.redis_errors.inc()
                    self.connected = False
                    if attempt:
                        log.error(
                            "%d broadcasts did not reach the other processes: %s", len(batch), exc
                        )
        self._sending_since = None

    def behind(self) -> float:
        waiting = [t for t in (self._sending_since, self._outbox_since) if t is not None]
        return time.monotonic() - min(waiting) if waiting else 0.0

    def basic_enter_room(
        self, sid: str, namespace: str, room: str | None, eio_sid: str | None = None
    ) -> None:
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        self._rooms_changed(room)

    def basic_leave_room(self, sid: str, namespace: str, room: str | None) -> None:
        super().basic_leave_room(sid, namespace, room)
        self._rooms_changed(room)

    async def enter_room(
        self, sid: str, namespace: str, room: str, eio_sid: str | None = None
    ) -> None:
        """Enter a room; the first of its scope here returns once Redis confirms this process
        listens on the scope's channel, or once it gave up: at once while the listener is
        reconnecting to Redis (which subscribes it again when it is back), after
        `_CONFIRM_SECONDS` otherwise. The member's client then fills any gap from the event
        log, as after any lost broadcast."""
        await super().enter_room(sid, namespace, room, eio_sid=eio_sid)
        scope = self._scope(room)
        if scope is None:
            return
        while (task := self._following.get(scope)) is not None and not task.done():
            await asyncio.shield(task)

    def _rooms_changed(self, room: str | None) -> None:
        scope = None if room is None else self._scope(room)
        if scope is None or room is None:
            return
        self._scope_rooms.setdefault(scope, set()).add(room)
        task = self._following.get(scope)
        if task is None or task.done():
            self._following[scope] = asyncio.get_running_loop().create_task(self._follow(scope))
        else:
            self._again.add(scope)

    def _has_members(self, scope: str) -> bool:
        rooms = self.rooms.get("/", {})
        return any(rooms.get(room) for room in self._scope_rooms.get(scope, ()))

    async def _follow(self, scope: str) -> None:
        """Subscribe to a scope's channel while this process has members in its rooms, and
        unsubscribe once it has none; one task per scope, so changes apply in order."""
        while True:
            self._again.discard(scope)
            wanted = self._has_members(scope)
            try:
                if wanted and scope not in self._subscribed:
                    await self._subscribe(scope)
                elif not wanted and scope in self._subscribed:
                    self._subscribed.discard(scope)
                    if self._listener is not None:
                        await self._listener.unsubscribe(self.channel_of(scope))
            except Exception as exc:
                self._metrics.redis_errors.inc()
                log.error("following %s on Redis failed: %s", scope, exc)
            if scope not in self._again:
                break
        if not wanted:
            self._scope_rooms.pop(scope, None)
        self._following.pop(scope, None)

    async def _subscribe(self, scope: str) -> None:
        if self._listened and not self._listening.is_set():
            raise ConnectionError("the listener is reconnecting to Redis")
        await asyncio.wait_for(self._listening.wait(), _CONFIRM_SECONDS)
        channel = self.channel_of(scope)
        confirmed = asyncio.get_running_loop().create_future()
        self._confirmations[channel.encode()] = confirmed
        try:
            await self._listener.subscribe(channel)
            await asyncio.wait_for(confirmed, _CONFIRM_SECONDS)
        finally:
            self._confirmations.pop(channel.encode(), None)
        self._subscribed.add(scope)

    async def _redis_listen_with_retries(self) -> Any:
        """python-socketio's listener, on the shared channel and every followed scope's, with
        subscription confirmations passed through (`_listen` takes them)."""
        retry_sleep = 1.0
        while True:
            try:
                self._redis_connect()
                if self._listener is not None:
                    await self._listener.aclose()
                self._listener = self.redis.pubsub()
                await self._listener.subscribe(self.channel)
                self._subscribed.clear()
                self._listening.set()
                self._listened = True
                for scope in list(self._scope_rooms):
                    self._rooms_changed(next(iter(self._scope_rooms[scope])))
                retry_sleep = 1.0
                async for message in self._listener.listen():
                    yield message
            except Exception as exc:
                self._listening.clear()
                self._metrics.redis_errors.inc()
                log.error("cannot receive from Redis (%s); retrying in %.0f s", exc, retry_sleep)
                await asyncio.sleep(retry_sleep)
                retry_sleep = min(retry_sleep * 2, 60.0)

    async def _listen(self) -> Any:
        prefix = f"{self.channel}:".encode()
        own = self.channel.encode()
        shared = self._metrics.redis_received.labels("shared")
        scoped = self._metrics.redis_received.labels("scope")
        async for message in self._redis_listen_with_retries():
            channel = message["channel"]
            if message["type"] == "subscribe":
                confirmed = self._confirmations.get(channel)
                if confirmed is not None and not confirmed.done():
                    confirmed.set_result(None)
            elif message["type"] != "message":
                continue
            elif channel == own:
                shared.inc()
                yield message["data"]
            elif channel.startswith(prefix):
                scoped.inc()
                yield message["data"]

    def set_server(self, server: socketio.AsyncServer) -> None:
        """Exchange messages with the other processes in `TrustedJson`: they carry whole
        events, nested deeper than a client's packet may be."""
        super().set_server(server)
        self.json = TrustedJson

    def _redis_connect(self) -> None:
        """Connect, remembering the clients: python-socketio's publisher and listener may each
        connect (and reconnect), replacing `self.redis` without closing the one before."""
        super()._redis_connect()
        self._clients += [self.pubsub, self.redis]

    async def close(self) -> None:
        """Send what is queued (for at most `_FLUSH_SECONDS`), stop listening and close every
        Redis connection (python-socketio leaves them open)."""
        if self._sending is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._sending, _FLUSH_SECONDS)
        tasks = [getattr(self, "thread", None), *self._following.values()]
        for task in tasks:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for client in [*self._clients, self._listener]:
            if client is not None:
                await client.aclose()
        self._clients.clear()
        self._listener = None


_CONFIRM_SECONDS = 5.0
_FLUSH_SECONDS = 1.0
_PUBLISH_SECONDS = 5.0
_OUTBOX_LIMIT = 100_000
"""Broadcasts queued for Redis at most; past it (Redis down or stalled) new ones are dropped."""
