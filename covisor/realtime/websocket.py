"""The Engine.IO WebSocket transport: python-engineio's protocol with a leaner loop.

python-engineio serves each WebSocket with a reader that starts a task and a timeout per frame
received (`ensure_future` + `wait_for`), hands each message to the application through a
per-call closure, and a writer that starts another task and timeout per wake-up. At stroke rates
that bookkeeping cost more server CPU than deciding and storing the events (bench/relay.py and
the profile in docs/BENCHMARKS.md). `WebSocket` takes python-engineio's driver slot
(`server._async["websocket"]`) and runs the same protocol — the upgrade probe from polling,
pings and pongs, close — with one reader loop that awaits aiohttp directly, and packets written
by whoever sends them, with no writer task between. The Engine.IO socket itself (its pings,
long-polling before the upgrade, and close) stays python-engineio's.

A dead peer needs no timeout per frame: python-engineio's service task closes a socket whose
pong is overdue, and the socket's CLOSE packet, its last, closes the WebSocket, which ends the
reader. tests/realtime/test_websocket holds the class to python-engineio 4.x's socket.
"""

from __future__ import annotations

import asyncio
import logging
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
        await _send_directly(socket, ws, transport)
        if not socket.closed:
            await _read(socket, ws)
    finally:
        # Shielded: aiohttp cancels the handler of a connection the peer dropped, and the
        # application's disconnect handler must still run to its end.
        await asyncio.shield(
            socket.close(wait=False, abort=True, reason=server.reason.TRANSPORT_CLOSE)
        )
        await ws.close()


async def _send_directly(socket: Any, ws: web.WebSocketResponse, transport: Any) -> None:
    """Write what the socket queued before its WebSocket was ready (the OPEN packet; NOOP
    during an upgrade), then, from now on, what it sends at once, in the caller's turn of the
    loop, instead of queueing it for a writer task (one wake-up less per packet, and a relayed
    event reaches its viewer one turn of the loop sooner). aiohttp writes each frame whole
    when called, so frames leave in the order `send` was called.

    A peer that reads slower than it is sent to must not hold up the sender (the journal
    publishes a whole round to every viewer): a packet that would take its unsent bytes past
    the transport's high-water mark (where aiohttp's send waits for the peer) waits in the
    socket's queue, with every packet after it, for a writer task that waits for the peer,
    until the queue is empty again.

    The CLOSE packet is the socket's last: python-engineio sends it when the server ends the
    socket, and when it closes one whose pong is overdue (dropped then, as python-engineio
    drops it). A task then writes it after what is queued and closes the WebSocket."""
    queue = socket.queue
    writing: list[asyncio.Task[None]] = []
    high_water = transport.get_write_buffer_limits()[1] if transport is not None else 0

    await _write_queued(queue, ws)

    async def write_queued() -> None:
        try:
            await _write_queued(queue, ws)
        finally:
            writing.clear()

    async def close_after(last: Any) -> None:
        while writing:
            await writing[0]
        if last is not None:
            await _write(ws, last)
        await ws.close()

    async def send(pkt: Any) -> None:
        alive = await socket.check_ping_timeout()
        if pkt.packet_type == eio_packet.CLOSE:
            _closing.add(closing := asyncio.create_task(close_after(pkt if alive else None)))
            closing.add_done_callback(_closing.discard)
            return
        if not alive:
            return
        unsent = transport.get_write_buffer_size() if transport is not None else high_water
        if writing or unsent + len(pkt.encode()) >= high_water:
            queue.put_nowait(pkt)
            if not writing:
                writing.append(asyncio.create_task(write_queued()))
            return
        await _write(ws, pkt)

    socket.send = send


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
