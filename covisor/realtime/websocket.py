"""The Engine.IO WebSocket transport: python-engineio's protocol with a leaner loop.

python-engineio serves each WebSocket with a reader that starts a task and a timeout per frame
received (`ensure_future` + `wait_for`), hands each message to the application through a
per-call closure, and a writer that starts another task and timeout per wake-up. At stroke rates
that bookkeeping cost more server CPU than deciding and storing the events (bench/relay.py and
the profile in docs/BENCHMARKS.md). `WebSocket` takes python-engineio's driver slot
(`server._async["websocket"]`) and runs the same protocol — the upgrade probe from polling,
pings and pongs, close — with one reader loop that awaits aiohttp directly, in a task of its
own (a message wakes those few frames, not the chain of middlewares and python-engineio calls
that started it), and packets written by whoever sends them, with no writer task between
(`Outlet`). The Engine.IO socket itself (its pings, long-polling before the upgrade, and close)
stays python-engineio's.

A dead peer needs no timeout per frame: python-engineio's service task closes a socket whose
pong is overdue, and the socket's CLOSE packet, its last, closes the WebSocket, which ends the
reader. tests/realtime/test_websocket holds the class to python-engineio 4.x's socket.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from typing import Any

import aiohttp
from aiohttp import web
from engineio import exceptions
from engineio import packet as eio_packet
from engineio.async_drivers import aiohttp as eio_aiohttp

log = logging.getLogger(__name__)

_DATA = (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY)
_closing: set[asyncio.Task[None]] = set()
"""The tasks closing WebSockets after their socket's CLOSE packet (held until done)."""


class WebSocket(eio_aiohttp.WebSocket):  # type: ignore[misc]
    """python-engineio's aiohttp WebSocket driver with Covisor's loop; install it with
    `install(engineio_server)`."""

    async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
        request = environ["aiohttp.request"]
        ws = web.WebSocketResponse(max_msg_size=self.server.max_http_buffer_size)
        self._sock = ws
        await ws.prepare(request)
        self.environ = environ
        # python-engineio hands the driver its socket's bound `_websocket_handler`.
        await serve(self.handler.__self__, ws, request.transport)
        return ws


def install(engineio_server: Any) -> None:
    """Serve `engineio_server`'s WebSockets with `WebSocket` (a copy of its driver table:
    python-engineio shares the module's own between servers)."""
    engineio_server._async = {**engineio_server._async, "websocket": WebSocket}


async def serve(socket: Any, ws: web.WebSocketResponse, transport: Any) -> None:
    """Run one Engine.IO socket over `ws` (on `transport`) until either side closes."""
    server = socket.server
    if socket.connected:
        socket.upgrading = True
        socket.upgraded = await _probe(socket, ws)
        socket.upgrading = False
        if not socket.upgraded:
            return
    else:
        socket.connected = True
        socket.upgraded = True
    try:
        await Outlet(socket, ws, transport).start()
        if not socket.closed:
            await asyncio.ensure_future(_read(socket, ws))
    finally:
        # Shielded: aiohttp cancels the handler of a connection the peer dropped, and the
        # application's disconnect handler must still run to its end.
        await asyncio.shield(
            socket.close(wait=False, abort=True, reason=server.reason.TRANSPORT_CLOSE)
        )
        await ws.close()


class Message:
    """One Engine.IO MESSAGE, encoded once for every socket it goes to: `data` is its Socket.IO
    packet (UTF-8), `frame` the whole WebSocket text frame that carries it. A server's frames are
    not masked, so a broadcast writes the same bytes to each of its recipients."""

    __slots__ = ("data", "frame")

    def __init__(self, data: bytes) -> None:
        self.data = data
        size = len(data) + 1
        if size < 126:
            head = bytes((0x81, size))
        elif size < 65536:
            head = _LENGTH_16(0x81, 126, size)
        else:
            head = _LENGTH_64(0x81, 127, size)
        self.frame = b"".join((head, b"4", data))

    def packet(self) -> Any:
        """The message as python-engineio's packet, for `send_packet`."""
        return eio_packet.Packet(eio_packet.MESSAGE, self.data.decode())


_LENGTH_16 = struct.Struct("!BBH").pack
_LENGTH_64 = struct.Struct("!BBQ").pack


def deliver(engineio_server: Any, eio_sid: str, message: Message) -> bool:
    """Send `message` to socket `eio_sid` now, in the caller's turn of the loop; a socket that
    is gone drops it, as `send_packet` does. False when it must take `send_packet`'s path
    instead: a socket still long-polling, a compressed WebSocket, a pong overdue (that path
    closes the socket)."""
    socket = engineio_server.sockets.get(eio_sid)
    if socket is None or socket.closed:
        return True
    outlet: Outlet | None = socket.__dict__.get("outlet")
    return outlet is not None and outlet.write(message)


class Outlet:
    """The sending side of one Engine.IO socket on its WebSocket, `socket.outlet` once the
    WebSocket is ready, and python-engineio's `socket.send` from then on.

    It first writes what the socket queued before (the OPEN packet; NOOP during an upgrade),
    then each packet at once, in the caller's turn of the loop, instead of queueing it for a
    writer task (one wake-up less per packet, and a relayed event reaches its viewer one turn
    of the loop sooner). Packets leave in the order they were sent. `write` takes a `Message`
    encoded once and writes its frame straight to the transport, past aiohttp's per-frame
    work: at stroke rates a relayed event is a few frames, and aiohttp's writer and
    python-engineio's send cost more CPU per frame than the frame's system call
    (bench/relay.py, docs/BENCHMARKS.md). A WebSocket with permessage-deflate takes
    aiohttp's writer, which compresses.

    A peer that reads slower than it is sent to must not hold up the sender (the journal
    relays a whole round to every viewer): a packet that would take its unsent bytes past the
    transport's high-water mark (where aiohttp's send waits for the peer) waits in the socket's
    queue, with every packet after it, for a writer task that waits for the peer, until the
    queue is empty again.

    The CLOSE packet is the socket's last: python-engineio sends it when the server ends the
    socket, and when it closes one whose pong is overdue (dropped then, as python-engineio
    drops it). A task then writes it after what is queued and closes the WebSocket."""

    def __init__(self, socket: Any, ws: web.WebSocketResponse, transport: Any) -> None:
        self._socket = socket
        self._ws = ws
        self._transport = transport
        self._writer: asyncio.Task[None] | None = None
        self._high_water = transport.get_write_buffer_limits()[1] if transport is not None else 0
        self._raw = transport is not None and not ws.compress

    async def start(self) -> None:
        """Write what the socket queued so far, and take over its sending."""
        await _write_queued(self._socket.queue, self._ws)
        self._socket.send = self.send
        self._socket.outlet = self

    def write(self, message: Message) -> bool:
        """Send `message` (written, or queued behind a slow peer); False when `send` must."""
        socket = self._socket
        last_ping = socket.last_ping
        if not self._raw or (last_ping and time.time() - last_ping > socket.server.ping_timeout):
            return False
        transport = self._transport
        if (
            self._writer is not None
            or transport.get_write_buffer_size() + len(message.frame) >= self._high_water
        ):
            self._queue(message.packet())
        elif self._ws.closed or transport.is_closing():
            log.debug("a packet for a closing WebSocket was dropped")
        else:
            transport.write(message.frame)
        return True

    async def send(self, pkt: Any) -> None:
        alive = await self._socket.check_ping_timeout()
        if pkt.packet_type == eio_packet.CLOSE:
            _closing.add(closing := asyncio.create_task(self._close_after(pkt if alive else None)))
            closing.add_done_callback(_closing.discard)
            return
        if not alive:
            return
        transport = self._transport
        unsent = transport.get_write_buffer_size() if transport is not None else self._high_water
        if self._writer is not None or unsent + len(pkt.encode()) >= self._high_water:
            self._queue(pkt)
            return
        await _write(self._ws, pkt)

    def _queue(self, pkt: Any) -> None:
        self._socket.queue.put_nowait(pkt)
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_queued())

    async def _write_queued(self) -> None:
        try:
            await _write_queued(self._socket.queue, self._ws)
        finally:
            self._writer = None

    async def _close_after(self, last: Any) -> None:
        while self._writer is not None:
            await self._writer
        if last is not None:
            await _write(self._ws, last)
        await self._ws.close()


async def _write_queued(queue: asyncio.Queue[Any], ws: web.WebSocketResponse) -> None:
    while not queue.empty():
        pkt = queue.get_nowait()
        queue.task_done()
        if pkt is not None:
            await _write(ws, pkt)


async def _write(ws: web.WebSocketResponse, pkt: Any) -> None:
    encoded = pkt.encode()
    try:
        if isinstance(encoded, bytes):
            await ws.send_bytes(encoded)
        else:
            await ws.send_str(encoded)
    except Exception:  # noqa: BLE001 - a peer gone mid-send: the reader sees the close
        log.debug("a packet for a closing WebSocket was dropped")


async def _probe(socket: Any, ws: web.WebSocketResponse) -> bool:
    """The upgrade from long-polling: PING "probe" answered PONG "probe", then UPGRADE."""
    probe = await _next_packet(ws)
    if probe is None or probe.packet_type != eio_packet.PING or probe.data != "probe":
        return False
    await ws.send_str(eio_packet.Packet(eio_packet.PONG, data="probe").encode())
    await socket.queue.put(eio_packet.Packet(eio_packet.NOOP))
    upgrade = await _next_packet(ws)
    return upgrade is not None and upgrade.packet_type == eio_packet.UPGRADE


async def _next_packet(ws: web.WebSocketResponse) -> Any:
    message = await ws.receive()
    if message.type not in _DATA:
        return None
    try:
        return eio_packet.Packet(encoded_packet=message.data)
    except (ValueError, IndexError):
        return None


async def _read(socket: Any, ws: web.WebSocketResponse) -> None:
    """Hand each message to the application, in order; other packets to the socket."""
    on_message = socket.server.handlers.get("message")
    while True:
        message = await ws.receive()
        if message.type not in _DATA:
            return
        data = message.data
        try:
            if isinstance(data, bytes) or data[:1] == "4":
                if on_message is not None:
                    await on_message(socket.sid, data if isinstance(data, bytes) else data[1:])
            else:
                await socket.receive(eio_packet.Packet(encoded_packet=data))
        except (ValueError, IndexError, exceptions.UnknownPacketError):
            log.info("closing a WebSocket that sent a frame Engine.IO cannot read")
            return
        except exceptions.SocketIsClosedError:
            return
        except Exception:
            log.exception("an Engine.IO message failed")
        if socket.closed:
            return
