"""JSON on the wire: the codec of every Socket.IO packet (`kernel/codec.py`'s bounded JSON), and
the Socket.IO server that answers every event, even one it cannot read.

python-socketio decodes a packet before any handler runs, and an exception there is only
logged: the client would wait for an ack that never comes. So `MsgspecJson.loads` never raises:
what cannot be read becomes an `Undecodable`, and `Server` answers such events, and events
whose envelope is wrong (no name, a reserved name), with a `bad_request` ack in the error shape,
keeping the connection open.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import msgspec
import socketio
from engineio import packet as eio_packet

from covisor.kernel.codec import Undecodable, decode, encoder
from covisor.kernel.errors import INTERNAL, CovisorError
from covisor.realtime import websocket

log = logging.getLogger(__name__)

RESERVED_EVENTS = frozenset({"connect", "connect_error", "disconnect", "message", "*"})
"""Names python-socketio gives a meaning of its own; clients may not send them as events."""

_ACK_ID = re.compile(r"[0-9]*")
_MAX_ID_DIGITS = 20
"""Longest ack id answered (clients count up from 0; a longer one is dropped, as
python-socketio drops it)."""


class PacketJson:
    """The module-like codec of Socket.IO packets (`Packet.json`): never raises on decoding."""

    @staticmethod
    def dumps(obj: Any, **_: Any) -> str:
        return encoder.encode(obj).decode()

    @staticmethod
    def loads(text: str | bytes, **_: Any) -> Any:
        return decode(text)


class TrustedJson:
    """The codec of what Covisor's own processes exchange (Redis pub/sub): unbounded, and
    raising `ValueError` as python-socketio expects of a `json` module."""

    _decoder = msgspec.json.Decoder()

    @staticmethod
    def dumps(obj: Any, **_: Any) -> str:
        return encoder.encode(obj).decode()

    @classmethod
    def loads(cls, text: str | bytes, **_: Any) -> Any:
        try:
            return cls._decoder.decode(text)
        except msgspec.DecodeError as exc:
            raise ValueError(str(exc)) from None


class Packet(socketio.packet.Packet):  # type: ignore[misc]
    """Socket.IO packets decoded by `PacketJson`. A subclass, so that python-engineio's own
    packets (and python-socketio clients in the same process) keep their codec.

    Covisor sends no binary attachments (media travel over HTTP), so a packet's data is not
    walked for `bytes` on every send (`uses_binary_events`), which cost a tenth of the relay."""

    json = PacketJson
    uses_binary_events = False

    @classmethod
    def reconstruct_binary(cls, data: Any, attachments: list[bytes]) -> Any:
        """The data of a binary event with its attachments in place, or an `Undecodable` when a
        placeholder names none (python-socketio would raise, and the socket would then take
        every later event for an attachment, answering none)."""
        try:
            return super().reconstruct_binary(data, attachments)
        except (IndexError, TypeError):
            return Undecodable("a binary placeholder naming no attachment")


def envelope_error(data: Any) -> CovisorError | None:
    """Why an event packet's data cannot be dispatched, or None when it can: it must be an
    array whose first element is the event name, not one of `RESERVED_EVENTS`."""
    if isinstance(data, Undecodable):
        return CovisorError("bad_request", f"this event is {data.reason}")
    if not isinstance(data, list) or not data or not isinstance(data[0], str):
        return CovisorError("bad_request", "an event is an array: [name, payload]")
    if data[0] in RESERVED_EVENTS:
        return CovisorError("unknown_event", f"{data[0]!r} is reserved")
    return None


EventHandler = Callable[[str, str, list[Any]], Awaitable[Any]]
"""`handler(event, sid, args)`: the answer to an event (None: no ack data)."""
ConnectedHandler = Callable[[str], Awaitable[None]]
"""`handler(sid)`: run once a client of the default namespace was told it is connected."""


class Server(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server, answering events it cannot dispatch instead of dropping them,
    with one handler for every event of the default namespace. Give it `serializer=Packet`.

    An event packet is decoded and answered by `on_event`'s handler in a task of its own (so a
    slow event does not hold up the next from the same client), without python-socketio's
    per-event handler lookup, inspection and walk of the answer for binary data. Other packets
    (connect, disconnect, acks, namespaces) take python-socketio's path, and `on_connected`'s
    handler runs after a connection's CONNECT answer is sent (python-socketio's `connect`
    handler runs before it: what it sends, the client would get before knowing it is
    connected). It overrides `_handle_eio_message`, `_handle_event` and `_handle_connect`,
    python-socketio's entry points for a message, a decoded event and a connection (5.x);
    tests/realtime/test_wire.py sends raw packets to hold it to that.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        websocket.install(self.eio)
        self._event_handler: EventHandler | None = None
        self._connected_handler: ConnectedHandler | None = None
        self._answering: set[asyncio.Task[None]] = set()

    def on_event(self, handler: EventHandler) -> None:
        """Answer every event of the default namespace with `handler`."""
        self._event_handler = handler

    def on_connected(self, handler: ConnectedHandler) -> None:
        """Run `handler(sid)` once a client of the default namespace knows it is connected."""
        self._connected_handler = handler

    async def _handle_connect(self, eio_sid: str, namespace: str | None, data: Any) -> None:
        namespace = namespace or "/"
        known = self.manager.sid_from_eio_sid(eio_sid, namespace)
        await super()._handle_connect(eio_sid, namespace, data)
        handler = self._connected_handler
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
        if handler is not None and namespace == "/" and known is None and sid is not None:
            if self.manager.is_connected(sid, namespace):
                await handler(sid)

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        handler = self._event_handler
        if handler is None or not isinstance(data, str) or data[:1] != "2" or data[1:2] == "/":
            await super()._handle_eio_message(eio_sid, data)
            return
        digits = _ACK_ID.match(data, 1)
        assert digits is not None
        end = digits.end()
        if end - 1 > _MAX_ID_DIGITS:
            return
        self._spawn(self._answer(eio_sid, "/", data[1:end] or None, decode(data[end:])))

    async def _handle_event(
        self, eio_sid: str, namespace: str | None, id: int | None, data: Any
    ) -> None:
        namespace = namespace or "/"
        if (namespace != "/" or self._event_handler is None) and envelope_error(data) is None:
            await super()._handle_event(eio_sid, namespace, id, data)
            return
        self._spawn(self._answer(eio_sid, namespace, None if id is None else str(id), data))

    def _spawn(self, answering: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(answering)
        self._answering.add(task)
        task.add_done_callback(self._answering.discard)

    async def _answer(self, eio_sid: str, namespace: str, id: str | None, data: Any) -> None:
        """Answer one event: the error shape when `envelope_error` refuses it, else the
        handler's answer (a handler that raises: `internal`); `id` as the client wrote it."""
        refusal = envelope_error(data)
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
        if not self.manager.is_connected(sid, namespace):
            return
        if refusal is not None:
            answer: Any = refusal.to_dict()
        else:
            handler = self._event_handler
            assert handler is not None
            try:
                answer = await handler(data[0], sid, data[1:])
            except Exception:
                log.exception("answering an event failed")
                answer = INTERNAL.to_dict()
        if id is None:
            return
        head = f"3{id}" if namespace == "/" else f"3{namespace},{id}"
        body = head + encoder.encode([] if answer is None else [answer]).decode()
        await self.eio.send_packet(eio_sid, eio_packet.Packet(eio_packet.MESSAGE, body))
