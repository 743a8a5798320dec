"""realtime/websocket.py runs Engine.IO over WebSockets: the upgrade from polling, pings, and
closing from either side, with python-engineio's sockets."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import socketio
from engineio import packet as eio_packet

from covisor.app.http import COVISOR
from covisor.realtime import websocket
from tests.conftest import Harness

WAIT = 5.0


async def _raw_connect(harness: Harness, token: str) -> aiohttp.ClientWebSocketResponse:
    ws = await harness.http.ws_connect(f"{harness.url}/socket.io/?EIO=4&transport=websocket")
    opened = await ws.receive_str(timeout=WAIT)
    assert opened.startswith("0{")
    await ws.send_str("40" + json.dumps({"token": token}))
    assert (await ws.receive_str(timeout=WAIT)).startswith("40{")
    return ws


async def test_a_client_that_starts_polling_is_upgraded_and_served(harness: Harness) -> None:
    cid, customer, agent = await harness.session()
    assert customer.sio.transport() == "websocket"
    answer = await customer.sio.call(
        "chat.send", {"conversation_id": cid, "text": "over the upgrade"}, timeout=WAIT
    )
    assert answer["ok"] is True
    await agent.wait_for(
        lambda p: any(e["data"].get("text") == "over the upgrade" for e in p.events)
    )


async def test_a_client_that_leaves_is_disconnected_and_the_others_told(harness: Harness) -> None:
    cid, customer, agent = await harness.session()
    await agent.close()
    await customer.wait_for(
        lambda p: any(n == "presence" and d["online"] is False for n, d in p.pushes)
    )


async def test_a_peer_that_stops_answering_pings_is_closed(harness: Harness) -> None:
    eio = harness.server.app[COVISOR].sio.eio
    eio.ping_interval, eio.ping_timeout = 0.2, 0.3
    ws = await _raw_connect(harness, (await harness.open_conversation())["token"])
    frames: list[str] = []
    while (message := await ws.receive(timeout=WAIT)).type == aiohttp.WSMsgType.TEXT:
        frames.append(message.data)
    assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert frames[:1] == ["2"], frames


async def test_a_socket_the_server_ends_has_its_websocket_closed(harness: Harness) -> None:
    """The peer reads the CLOSE packet but does not close: the server closes the WebSocket."""
    ws = await harness.http.ws_connect(f"{harness.url}/socket.io/?EIO=4&transport=websocket")
    opened = json.loads((await ws.receive_str(timeout=WAIT))[1:])
    await ws.send_str("40" + json.dumps({"token": (await harness.open_conversation())["token"]}))
    assert (await ws.receive_str(timeout=WAIT)).startswith("40{")
    await harness.server.app[COVISOR].sio.eio.disconnect(opened["sid"])
    frames: list[str] = []
    while (message := await ws.receive(timeout=WAIT)).type == aiohttp.WSMsgType.TEXT:
        frames.append(message.data)
    assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert frames[-1:] == ["1"], frames


async def test_pongs_keep_a_quiet_connection_open(harness: Harness) -> None:
    eio = harness.server.app[COVISOR].sio.eio
    eio.ping_interval, eio.ping_timeout = 0.1, 0.3
    ws = await _raw_connect(harness, (await harness.open_conversation())["token"])
    for _ in range(8):
        assert await ws.receive_str(timeout=WAIT) == "2"
        await ws.send_str("3")
    await ws.send_str('421["time",{}]')
    while not (frame := await ws.receive_str(timeout=WAIT)).startswith("431"):
        assert frame == "2"
        await ws.send_str("3")
    assert '"ok":true' in frame
    await ws.close()


async def test_a_frame_engine_io_cannot_read_closes_that_connection_only(
    harness: Harness,
) -> None:
    cid, customer, agent = await harness.session()
    ws = await _raw_connect(harness, (await harness.open_conversation())["token"])
    await ws.send_str("x")
    message = await ws.receive(timeout=WAIT)
    assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert (await agent.sio.call("time", {}, timeout=WAIT))["ok"] is True


async def test_events_sent_at_once_from_one_socket_are_answered_in_order(
    harness: Harness,
) -> None:
    cid, customer, agent = await harness.session()
    client: socketio.AsyncClient = customer.sio
    answers = await asyncio.gather(
        *(
            client.call("chat.send", {"conversation_id": cid, "text": f"m{i}"}, timeout=WAIT)
            for i in range(10)
        )
    )
    assert [a["event"]["data"]["text"] for a in answers] == [f"m{i}" for i in range(10)]
    seqs = [a["seq"] for a in answers]
    assert seqs == sorted(seqs)


class _SlowPeer:
    """A WebSocket whose peer reads only when told, and the transport under it."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.unsent = 0
        self.reading = asyncio.Event()

    async def send_str(self, text: str) -> None:
        self.sent.append(text)
        self.unsent += len(text)
        if self.unsent > 64 * 1024:
            await self.reading.wait()
            self.unsent = 0

    def get_write_buffer_size(self) -> int:
        return self.unsent

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return 16 * 1024, 64 * 1024


class _Socket:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.send: Any = None

    async def check_ping_timeout(self) -> bool:
        return True


async def test_a_peer_that_reads_slowly_holds_up_no_sender() -> None:
    peer, socket = _SlowPeer(), _Socket()
    await socket.queue.put(eio_packet.Packet(eio_packet.MESSAGE, "queued before the upgrade"))
    await websocket._send_directly(socket, peer, peer)  # type: ignore[arg-type]
    texts = [f"event {i} " + "x" * 2000 for i in range(100)]
    for text in texts:
        await asyncio.wait_for(socket.send(eio_packet.Packet(eio_packet.MESSAGE, text)), 0.1)
    assert len(peer.sent) < len(texts), "the peer is slow: packets wait in the queue"
    peer.reading.set()
    while not socket.queue.empty() or len(peer.sent) <= len(texts):
        await asyncio.sleep(0.01)
    assert peer.sent == ["4queued before the upgrade", *(f"4{t}" for t in texts)]
