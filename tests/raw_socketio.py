"""A Socket.IO client that sends packets as written, bad ones included, over a WebSocket.

The official clients cannot send what a broken or hostile client would (undecodable JSON, no
event name, a reserved name); this one writes Engine.IO 4 / Socket.IO 5 text frames itself.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import aiohttp

WAIT = 5.0


class RawSocket:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._ids = itertools.count(1)
        self.pushed: list[str] = []

    @classmethod
    async def connect(cls, http: aiohttp.ClientSession, url: str, token: str) -> RawSocket:
        ws = await http.ws_connect(f"{url}/socket.io/?EIO=4&transport=websocket")
        socket = cls(ws)
        opened = await socket._frame()
        assert opened.startswith("0"), opened
        await ws.send_str("40" + json.dumps({"token": token}))
        connected = await socket._frame()
        assert connected.startswith("40{"), connected
        return socket

    async def call_raw(self, data: str) -> Any:
        """Send `42<id><data>` and return the decoded data of its ack (`43<id>[...]`)."""
        ack_id = next(self._ids)
        await self.ws.send_str(f"42{ack_id}{data}")
        prefix = f"43{ack_id}"
        while True:
            frame = await self._frame()
            if frame.startswith(prefix):
                answer = json.loads(frame[len(prefix) :])
                assert isinstance(answer, list) and len(answer) == 1, frame
                return answer[0]
            self.pushed.append(frame)

    async def frame_starting(self, prefix: str) -> str:
        """The next frame that starts with `prefix`; the ones before are kept as pushed."""
        while not (frame := await self._frame()).startswith(prefix):
            self.pushed.append(frame)
        return frame

    async def call(self, event: str, payload: Any) -> Any:
        return await self.call_raw(json.dumps([event, payload]))

    async def _frame(self) -> str:
        while True:
            message = await asyncio.wait_for(self.ws.receive(), WAIT)
            if message.type != aiohttp.WSMsgType.TEXT:
                raise AssertionError(f"the server closed or sent {message.type}: {message.data}")
            text: str = message.data
            if text == "2":
                await self.ws.send_str("3")
                continue
            return text

    async def close(self) -> None:
        await self.ws.close()
