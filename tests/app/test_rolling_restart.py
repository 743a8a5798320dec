"""A rolling restart loses nothing: two `covisor serve` processes on Redis are stopped with
SIGTERM and started again, one after the other, while a shopper on one and the agent on the
other keep chatting. Every acknowledged message is there exactly once, and each client, after
reconnecting and catching up from its last seq, has every event with no gap."""

from __future__ import annotations

import asyncio
import itertools
import signal
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from tests.conftest import ServerProcess, agent_token_for, free_port, open_accepted

pytestmark = pytest.mark.redis


class Talker:
    """A client that keeps its place: it rejoins with its last seq after every reconnect and
    resends an unanswered message with the same client id."""

    def __init__(self, url: str, token: str, conversation_id: str, name: str) -> None:
        self.url, self.token, self.cid, self.name = url, token, conversation_id, name
        self.sio = socketio.AsyncClient(
            reconnection=True, reconnection_delay=0.05, reconnection_delay_max=0.3
        )
        self.seen: set[int] = set()
        self.base = 0
        self.acked: dict[str, int] = {}
        self.joined = asyncio.Event()
        self.reconnects = -1
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("event", self._on_event)

    async def start(self) -> None:
        await self.sio.connect(self.url, auth={"token": self.token}, transports=["websocket"])

    async def _on_connect(self) -> None:
        self.reconnects += 1
        self.sio.start_background_task(self._join)

    async def _on_disconnect(self, reason: Any = None) -> None:
        self.joined.clear()

    async def _on_event(self, event: dict[str, Any]) -> None:
        self.seen.add(event["seq"])

    async def _join(self) -> None:
        last = max(self.seen | {self.base}) if self.seen or self.base else None
        answer = await self.sio.call(
            "join", {"conversation_id": self.cid, "last_seq": last}, timeout=10
        )
        assert answer["ok"] is True, answer
        if answer["mode"] == "replay":
            self.seen.update(event["seq"] for event in answer["events"])
        else:
            self.base = max(self.base, answer["seq"])
        self.joined.set()

    async def say(self, text: str, client_id: str) -> None:
        while True:
            await asyncio.wait_for(self.joined.wait(), 30)
            try:
                ack = await self.sio.call(
                    "chat.send",
                    {"conversation_id": self.cid, "text": text, "client_id": client_id},
                    timeout=3,
                )
            except (TimeoutError, socketio.exceptions.SocketIOError):
                await asyncio.sleep(0.05)
                continue
            if ack["ok"]:
                self.acked[client_id] = ack["seq"]
                self.seen.add(ack["seq"])
                return
            assert ack["error"]["code"] in ("unavailable", "rate_limited"), ack
            await asyncio.sleep(0.05)

    def missing(self, last: int) -> list[int]:
        return [seq for seq in range(self.base + 1, last + 1) if seq not in self.seen]


async def test_a_rolling_restart_of_both_processes_loses_and_repeats_nothing(
    spawn: Any, redis: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    env = {
        "COVISOR_REDIS_CHANNEL": f"covisor-test-{uuid.uuid4().hex}",
        "COVISOR_CHAT_RATE": "200/200",
        "COVISOR_MEDIA_WORKERS": "1",
        "COVISOR_DRAIN_TIMEOUT": "5",
    }
    ports = [free_port(), free_port()]

    async def start(port: int) -> ServerProcess:
        server: ServerProcess = await spawn(
            data, "--redis-url", redis, "--port", str(port), env=env
        )
        return server

    async def stop(server: ServerProcess) -> None:
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(server.process.wait(), 30) == 0

    servers = [await start(port) for port in ports]
    agent_token = await agent_token_for(data)
    opened = await open_accepted(servers[0].url, agent_token)
    cid = opened["id"]
    shopper = Talker(servers[0].url, opened["token"], cid, "shopper")
    agent = Talker(servers[1].url, agent_token, cid, "agent")
    try:
        await _talk_through_restarts(shopper, agent, servers, start, stop, ports, agent_token)
    finally:
        for talker in (shopper, agent):
            await talker.sio.disconnect()


async def _talk_through_restarts(
    shopper: Talker,
    agent: Talker,
    servers: list[ServerProcess],
    start: Any,
    stop: Any,
    ports: list[int],
    agent_token: str,
) -> None:
    cid = shopper.cid
    for talker in (shopper, agent):
        await talker.start()
    done = asyncio.Event()
    sent: dict[str, str] = {}

    async def chatter(talker: Talker) -> None:
        for n in itertools.count():
            if done.is_set() and n >= 20:
                return
            client_id = f"{talker.name}-{n}"
            sent[client_id] = f"{talker.name} says {n}"
            await talker.say(sent[client_id], client_id)
            await asyncio.sleep(0.02)

    talking = [asyncio.create_task(chatter(t)) for t in (shopper, agent)]
    await asyncio.sleep(0.5)
    for index, port in enumerate(ports):
        await stop(servers[index])
        servers[index] = await start(port)
        await asyncio.sleep(0.5)
    done.set()
    await asyncio.wait_for(asyncio.gather(*talking), 60)

    async with aiohttp.ClientSession() as http:
        async with http.get(
            f"{servers[0].url}/api/conversations/{cid}/transcript",
            headers={"Authorization": f"Bearer {agent_token}"},
        ) as response:
            transcript = await response.json()
    messages = transcript["messages"]
    by_client = [m["data"]["client_id"] for m in messages]
    assert len(by_client) == len(set(by_client)), "no message is there twice"
    acked = {**shopper.acked, **agent.acked}
    assert set(acked) == set(by_client), "every acknowledged message is there, and only those"
    assert all(m["data"]["text"] == sent[m["data"]["client_id"]] for m in messages)
    last = transcript["conversation"]["last_seq"]
    for talker in (shopper, agent):
        await asyncio.wait_for(talker.joined.wait(), 30)
        await talker._join()
        assert talker.missing(last) == [], f"{talker.name} has every event after catching up"
        assert talker.reconnects >= 1, f"{talker.name} was moved by a restart"
