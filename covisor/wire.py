"""JSON on the wire: the codec of every Socket.IO packet and HTTP body, and the Socket.IO server
that answers every event, even one it cannot read.

Decoding is bounded: values nest at most `MAX_DEPTH` levels (the deepest command,
`stroke.points`, needs four inside its packet), numbers must fit 64 bits or a double, and what
JSON does not allow (NaN, Infinity, lone UTF-16 surrogates such as `"\\ud800"`, which a
browser's `JSON.stringify` makes of a broken string) is refused. msgspec does it in one pass,
several times faster than the standard `json` module, which was a large share of the relay's CPU.

python-socketio decodes a packet before any handler runs, and an exception there is only
logged: the client would wait for an ack that never comes. So `MsgspecJson.loads` never raises:
what cannot be read becomes an `Undecodable`, and `Server` answers such events, and events
whose envelope is wrong (no name, a reserved name), with a `bad_request` ack in the error shape,
keeping the connection open.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

import msgspec
import socketio
from socketio import packet

from covisor.errors import CovisorError

MAX_DEPTH = 6
"""Most levels of arrays and objects inside one another in a packet or body."""

RESERVED_EVENTS = frozenset({"connect", "connect_error", "disconnect", "message", "*"})
"""Names python-socketio gives a meaning of its own; clients may not send them as events."""


def _bounded_json(depth: int) -> Any:
    """The type of JSON values nested at most `depth` levels, for msgspec to enforce."""
    kind: Any = Union[str, int, float, bool, None]  # noqa: UP007
    for _ in range(depth):
        kind = Union[str, int, float, bool, None, list[kind], dict[str, kind]]  # noqa: UP007
    return kind


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(_bounded_json(MAX_DEPTH))


@dataclass(frozen=True)
class Undecodable:
    """A packet or body that is not JSON Covisor accepts; `reason` says why, for the client."""

    reason: str


def decode(raw: str | bytes) -> Any:
    """The JSON value of `raw`, or an `Undecodable` saying why there is none."""
    try:
        return _decoder.decode(raw)
    except msgspec.ValidationError as exc:
        message = str(exc)
        if "got `array`" in message or "got `object`" in message:
            return Undecodable(f"JSON nested deeper than {MAX_DEPTH} levels")
        return Undecodable(f"not valid JSON: {message.split(' - ')[0]}")
    except (msgspec.DecodeError, RecursionError, UnicodeError) as exc:
        return Undecodable(f"not valid JSON: {exc}")


def encode(value: Any) -> bytes:
    return _encoder.encode(value)


class PacketJson:
    """The module-like codec of Socket.IO packets (`Packet.json`): never raises on decoding."""

    @staticmethod
    def dumps(obj: Any, **_: Any) -> str:
        return _encoder.encode(obj).decode()

    @staticmethod
    def loads(text: str | bytes, **_: Any) -> Any:
        return decode(text)


class TrustedJson:
    """The codec of what Covisor's own processes exchange (Redis pub/sub): unbounded, and
    raising `ValueError` as python-socketio expects of a `json` module."""

    _decoder = msgspec.json.Decoder()

    @staticmethod
    def dumps(obj: Any, **_: Any) -> str:
        return _encoder.encode(obj).decode()

    @classmethod
    def loads(cls, text: str | bytes, **_: Any) -> Any:
        try:
            return cls._decoder.decode(text)
        except msgspec.DecodeError as exc:
            raise ValueError(str(exc)) from None


class Packet(socketio.packet.Packet):  # type: ignore[misc]
    """Socket.IO packets decoded by `PacketJson`. A subclass, so that python-engineio's own
    packets (and python-socketio clients in the same process) keep their codec."""

    json = PacketJson


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


class Server(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server, answering events it cannot dispatch instead of dropping them.
    Give it `serializer=Packet`.

    It overrides `_handle_event`, python-socketio's entry point for a decoded event packet
    (5.x); tests/test_wire.py sends raw packets to hold it to that.
    """

    async def _handle_event(
        self, eio_sid: str, namespace: str | None, id: int | None, data: Any
    ) -> None:
        refusal = envelope_error(data)
        if refusal is None:
            await super()._handle_event(eio_sid, namespace, id, data)
            return
        namespace = namespace or "/"
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
        if id is None or not self.manager.is_connected(sid, namespace):
            return
        ack = self.packet_class(packet.ACK, namespace=namespace, id=id, data=[refusal.to_dict()])
        await self._send_packet(eio_sid, ack)
