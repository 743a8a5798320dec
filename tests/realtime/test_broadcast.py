"""Broadcasting through the client manager: one process and several take the same path."""

from __future__ import annotations

import asyncio
import json
import uuid
from contextlib import AsyncExitStack
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis.asyncio as aioredis

from covisor.app.http import create_app
from covisor.config import Config
from covisor.kernel.metrics import Metrics
from covisor.realtime import broadcast
from covisor.realtime.broadcast import LocalFanout, RedisBroadcast
from tests.conftest import Harness, Peer, serving


async def test_one_process_broadcasts_through_the_local_fanout(harness: Harness) -> None:
    manager = harness.services.sio.manager
    assert type(manager) is LocalFanout
    cid, customer, agent = await harness.session()
    second = await harness.peer(customer.token)
    await second.ok("join", {"conversation_id": cid})
    sent = await customer.ok("chat.send", {"conversation_id": cid, "text": "hello"})
    for peer in (agent, second):
        await peer.wait_seq(sent["seq"])
    assert [e["seq"] for e in customer.events if e["type"] == "chat.message"] == [sent["seq"]]
    assert agent.of_type("chat.message") == second.of_type("chat.message")
    await customer.ok("chat.typing", {"conversation_id": cid, "typing": True})
    await agent.wait_for(lambda p: any(name == "typing" for name, _ in p.pushes))
    assert not any(name == "typing" for name, _ in customer.pushes)


async def test_a_socket_knows_its_rooms_and_leaves_them_all_when_it_goes(
    harness: Harness,
) -> None:
    """The manager's room index agrees with its rooms; a socket gone is in none of them."""
    sio = harness.services.sio
    rooms: dict[Any, Any] = sio.manager.rooms

    def scanned(sid: str) -> set[str]:
        return {name for name, members in rooms["/"].items() if name and sid in members}

    cid, customer, agent = await harness.session()
    second = await harness.peer(customer.token)
    await second.ok("join", {"conversation_id": cid})
    sids = {peer: peer.sio.get_sid() for peer in (customer, agent, second)}
    for sid in sids.values():
        assert set(sio.rooms(sid)) == scanned(sid) and sid in scanned(sid)
    assert len(scanned(sids[second])) > 1, "the conversation's room besides its own"
    await second.sio.disconnect()
    for _ in range(100):
        if not scanned(sids[second]):
            break
        await asyncio.sleep(0.02)
    assert scanned(sids[second]) == set() and sio.rooms(sids[second]) == []
    assert sids[second] not in rooms["/"][None]
    for peer in (customer, agent):
        assert set(sio.rooms(sids[peer])) == scanned(sids[peer])
    sent = await customer.ok("chat.send", {"conversation_id": cid, "text": "still here?"})
    await agent.wait_seq(sent["seq"])


@pytest.mark.redis
async def test_two_processes_broadcast_through_redis_in_one_gapless_order(
    config: Config, redis: str
) -> None:
    shared = config.replace(redis_url=redis, redis_channel=f"covisor-test-{uuid.uuid4().hex}")
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(serving(await create_app(shared)))
        second = await stack.enter_async_context(serving(await create_app(shared)))
        for server in (first, second):
            assert type(server.services.sio.manager) is RedisBroadcast
            _, ready = await server.request("GET", "/readyz")
            assert ready["broadcast"] is True
        opened = await second.open_conversation()
        cid = opened["id"]
        agent_token = await first.agent_token()
        await first.accepted(cid, agent_token)
        agent = await first.peer(agent_token)
        shopper = await second.peer(opened["token"])
        watcher = await first.peer(opened["token"])
        peers = (agent, shopper, watcher)
        for peer in peers:
            await peer.ok("join", {"conversation_id": cid})
        await agent.ok("viewer.show", {"conversation_id": cid, "media_id": await first.product()})

        line = [[i / 30, 0.5] for i in range(30)]

        async def talk(peer: Peer, name: str) -> list[int]:
            stroke = {"conversation_id": cid, "stroke_id": name}
            acks = [await peer.ok("stroke.begin", {**stroke, "color": "#ff0000", "width": 0.01})]
            for i in range(30):
                if i % 6 == 0:
                    text = {"conversation_id": cid, "text": f"{name} {i}"}
                    acks.append(await peer.ok("chat.send", text))
                await peer.ok("stroke.points", {**stroke, "points": [line[i]]})
            acks.append(await peer.ok("stroke.end", stroke))
            return [ack["seq"] for ack in acks]

        sent = await asyncio.gather(*(talk(p, n) for p, n in zip(peers, "asw", strict=True)))
        last = max(max(seqs) for seqs in sent)
        for peer in peers:
            await peer.wait_seq(last)
        orders = [[(e["seq"], e["type"], e["data"]) for e in p.events] for p in peers]
        for order in orders:
            seqs = [seq for seq, _, _ in sorted(order)]
            assert seqs == list(range(seqs[0], last + 1))
        assert sorted(orders[0]) == sorted(orders[1]) == sorted(orders[2])
        for peer, name in zip(peers, "asw", strict=True):
            others = [n for n in "asw" if n != name]
            assert {n: peer.drawn(n) for n in others} == dict.fromkeys(others, line), (
                "every other drawer's points, pushed through Redis to the other process"
            )
        ends = {e["data"]["stroke_id"]: e["data"]["points"] for e in agent.of_type("stroke.end")}
        assert ends == dict.fromkeys("asw", line), "each process ended its drawer's whole line"

        await shopper.ok("chat.typing", {"conversation_id": cid, "typing": True})
        await agent.wait_for(lambda p: any(name == "typing" for name, _ in p.pushes))


@pytest.mark.redis
async def test_a_process_hears_a_conversation_only_while_one_of_its_sockets_is_in_it(
    config: Config, redis: str
) -> None:
    shared = config.replace(redis_url=redis, redis_channel=f"covisor-test-{uuid.uuid4().hex}")
    listeners = aioredis.from_url(redis)
    async with AsyncExitStack() as stack:
        stack.push_async_callback(listeners.aclose)
        first = await stack.enter_async_context(serving(await create_app(shared)))
        second = await stack.enter_async_context(serving(await create_app(shared)))
        opened = await first.open_conversation()
        cid = opened["id"]
        channel = f"{shared.redis_channel}:c:{cid}"
        agent_token = await first.agent_token()
        await first.accepted(cid, agent_token)
        agent = await first.peer(agent_token)
        shopper = await first.peer(opened["token"])
        for peer in (agent, shopper):
            await peer.ok("join", {"conversation_id": cid})
        await agent.ok("viewer.show", {"conversation_id": cid, "media_id": await first.product()})
        stroke = {"conversation_id": cid, "stroke_id": "s1"}
        await agent.ok("stroke.begin", {**stroke, "color": "#ff0000", "width": 0.01})
        heard = second.services.metrics.redis_received.labels("scope")

        async def draw(n: int) -> int:
            sent = len(shopper.drawn("s1"))
            for i in range(n):
                await agent.ok("stroke.points", {**stroke, "points": [[i / n, 0.5]]})
            await shopper.wait_for(lambda p: len(p.drawn("s1")) == sent + n)
            return sent + n

        async def subscribers() -> int:
            ((_, count),) = await listeners.pubsub_numsub(channel)
            return int(count)

        assert await subscribers() == 1, "only the process with members listens"
        await draw(20)
        assert heard._value.get() == 0, "the other process took nothing off Redis"

        watcher = await second.peer(opened["token"])
        await watcher.ok("join", {"conversation_id": cid})
        assert await subscribers() == 2, "subscribed before the join was answered"
        assert await draw(20) == 40
        await watcher.wait_for(lambda p: len(p.drawn("s1")) == 20)
        assert heard._value.get() >= 20

        await watcher.sio.disconnect()
        for _ in range(100):
            if await subscribers() == 1:
                break
            await asyncio.sleep(0.02)
        assert await subscribers() == 1, "the process stops listening once its member left"
        received = heard._value.get()
        await draw(20)
        assert heard._value.get() == received


@pytest.mark.redis
async def test_a_burst_of_broadcasts_goes_to_redis_in_one_pipeline_in_order(redis: str) -> None:
    channel = f"covisor-test-{uuid.uuid4().hex}"
    manager = RedisBroadcast(redis, channel, Metrics(), lambda room: room.split("/")[0])
    listener: Any = aioredis.from_url(redis).pubsub()
    await listener.subscribe(f"{channel}:c1")
    await listener.get_message(timeout=1)
    pipelines = 0
    try:
        manager._redis_connect()
        pipeline = manager.redis.pipeline

        def counted(*args: Any, **kwargs: Any) -> Any:
            nonlocal pipelines
            pipelines += 1
            return pipeline(*args, **kwargs)

        manager.redis.pipeline = counted
        for i in range(50):
            await manager.emit("event", {"seq": i}, "/", room="c1/shoppers")
        received: list[int] = []
        while len(received) < 50:
            message = await listener.get_message(ignore_subscribe_messages=True, timeout=2)
            assert message is not None, f"only {len(received)} of 50 broadcasts arrived"
            received.append(json.loads(message["data"])["data"][0]["seq"])
        assert received == list(range(50))
        assert 1 <= pipelines <= 2, "queued while the first pipeline was under way, sent together"
        for _ in range(100):
            if manager.behind() == 0.0:
                break
            await asyncio.sleep(0.01)
        assert manager.behind() == 0.0, "once Redis has answered, nothing waits"
    finally:
        await listener.aclose()
        await manager.close()


async def test_an_emit_is_not_held_up_by_a_redis_that_does_not_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(broadcast, "_PUBLISH_SECONDS", 0.2)
    monkeypatch.setattr(broadcast, "_OUTBOX_LIMIT", 10)
    accepted: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    metrics = Metrics()
    manager = RedisBroadcast(f"redis://127.0.0.1:{port}/0", "covisor-test", metrics, str)
    errors = metrics.redis_errors._value
    try:
        await asyncio.wait_for(manager.emit("event", {"seq": 1}, "/", room="agents"), 0.5)
        for _ in range(50):
            if accepted:
                break
            await asyncio.sleep(0.02)
        assert accepted, "the broadcast was on its way"
        await asyncio.sleep(0.05)
        assert manager.behind() >= 0.05, "the unanswered broadcast is late, and says so"
        for seq in range(2, 22):
            await asyncio.wait_for(manager.emit("event", {"seq": seq}, "/", room="agents"), 0.5)
        assert errors.get() == 10, "past the limit, broadcasts are dropped and counted"
        for _ in range(150):
            if errors.get() >= 12:
                break
            await asyncio.sleep(0.02)
        assert errors.get() >= 12, "unanswered for _PUBLISH_SECONDS, twice: given up, counted"
        for _ in range(150):
            if errors.get() >= 14:
                break
            await asyncio.sleep(0.02)
        assert errors.get() >= 14 and manager.behind() == 0.0, "what was given up waits no more"
        started = asyncio.get_running_loop().time()
        await manager.close()
        assert asyncio.get_running_loop().time() - started < 2, "closing gives up on it"
    finally:
        for writer in accepted:
            writer.close()
        server.close()
        await server.wait_closed()


class Link:
    """A TCP link to Redis that a test can cut (every connection dropped, new ones refused)
    and mend: Redis going away and coming back, as far as one process can tell."""

    def __init__(self, target: str) -> None:
        address = urlsplit(target)
        self._host, self._port = address.hostname or "127.0.0.1", address.port or 6379
        self._up = True
        self._writers: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return f"redis://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/0"

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self._up:
            writer.close()
            return
        upstream_reader, upstream = await asyncio.open_connection(self._host, self._port)
        self._writers += [writer, upstream]
        await asyncio.gather(_pipe(reader, upstream), _pipe(upstream_reader, writer))

    def cut(self) -> None:
        self._up = False
        for writer in self._writers:
            writer.close()
        self._writers.clear()

    def mend(self) -> None:
        self._up = True

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


@pytest.mark.redis
async def test_while_redis_is_away_a_join_is_answered_at_once_and_heard_again_after(
    config: Config, redis: str
) -> None:
    link = Link(redis)
    via = await link.start()
    shared = config.replace(redis_url=via, redis_channel=f"covisor-test-{uuid.uuid4().hex}")
    async with AsyncExitStack() as stack:
        stack.push_async_callback(link.close)
        server = await stack.enter_async_context(serving(await create_app(shared)))
        errors = server.services.metrics.redis_errors._value
        before = await server.open_conversation()
        shopper = await server.peer(before["token"])
        await shopper.ok("join", {"conversation_id": before["id"]})

        link.cut()
        for _ in range(100):
            if errors.get() > 0:
                break
            await asyncio.sleep(0.02)
        assert errors.get() > 0, "the process noticed Redis went away"
        during = await server.open_conversation()
        other = await server.peer(during["token"])
        started = asyncio.get_running_loop().time()
        await other.ok("join", {"conversation_id": during["id"]})
        assert asyncio.get_running_loop().time() - started < 1.5, "not held up while Redis is away"

        link.mend()
        listeners = aioredis.from_url(redis)
        stack.push_async_callback(listeners.aclose)
        channel = f"{shared.redis_channel}:c:{during['id']}"
        for _ in range(300):
            ((_, count),) = await listeners.pubsub_numsub(channel)
            if count == 1:
                break
            await asyncio.sleep(0.05)
        assert count == 1, "back on Redis, it listens for the conversation joined meanwhile"
