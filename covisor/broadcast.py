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
from typing import Any

import redis.asyncio
import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet

from covisor.config import Config
from covisor.metrics import Metrics
from covisor.wire import TrustedJson

log = logging.getLogger(__name__)


class LocalFanout(socketio.AsyncManager):  # type: ignore[misc]
    """Delivery to this process's sockets: one encoding, one queued packet per recipient."""

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

    async def ping(self) -> None:
        """Raise if the manager cannot reach the other processes (always fine alone)."""


class RedisBroadcast(socketio.AsyncRedisManager, LocalFanout):  # type: ignore[misc]
    """Several processes sharing rooms through Redis pub/sub; local delivery by `LocalFanout`."""

    def __init__(self, url: str, channel: str, metrics: Metrics) -> None:
        super().__init__(url, channel=channel)
        self._clients: list[Any] = []
        self._metrics = metrics

    async def ping(self) -> None:
        client = redis.asyncio.from_url(self.redis_url)
        try:
            await client.ping()
        finally:
            await client.aclose()

    async def _publish(self, data: Any) -> Any:
        """Publish to the other processes, reconnecting once; count what Redis refused
        (python-socketio's own `_publish` only logs it)."""
        message = self.json.dumps(data)
        for attempt in range(2):
            try:
                if not getattr(self, "connected", False):
                    self._redis_connect()
                return await self.redis.publish(self.channel, message)
            except Exception as exc:
                self._metrics.redis_errors.inc()
                self.connected = False
                if attempt:
                    log.error("a broadcast did not reach the other processes: %s", exc)
        return None

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
        """Stop listening and close every Redis connection (python-socketio leaves them open)."""
        listener = getattr(self, "thread", None)
        if listener is not None:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
        for client in self._clients:
            await client.aclose()
        self._clients.clear()


def make_manager(config: Config, metrics: Metrics) -> LocalFanout:
    if config.redis_url:
        return RedisBroadcast(config.redis_url, config.redis_channel, metrics)
    return LocalFanout()
