"""Three nodes that share nothing but PostgreSQL, Redis and an S3 server (separate data
directories, each on a host of its own: a network namespace, tests/app/hosts.py), behind
Debian's nginx with deploy/nginx.conf, while shoppers and agents chat
through them: one node is killed (SIGKILL), then all three are upgraded one after the other to
a version with a schema migration (the killed one started on it, the others stopped with
SIGTERM and started on it). Through both, nothing acknowledged is lost or repeated, every
client is back on a live node and caught up, and a photo uploaded through the killed node is
still served. The figures are printed (pytest -s). `COVISOR_THREE_NODES_CONVERSATIONS` (2)
sets the load; bench/three_nodes.py runs it longer and heavier."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import psycopg
import pytest

from covisor.store.sql.migrations import POSTGRESQL_MIGRATIONS
from tests.app.hosts import Hosts
from tests.app.test_deploy import NGINX, nginx_in_front
from tests.app.test_rolling_restart import Talker
from tests.conftest import ServerProcess, agent_token_for, free_port, open_accepted
from tests.media import samples

pytestmark = pytest.mark.redis

CONVERSATIONS = int(os.environ.get("COVISOR_THREE_NODES_CONVERSATIONS", "2"))
"""Conversations under load, a shopper and an agent talking in each."""

UPGRADE = '''
"""The next version, for tests/app/test_three_nodes.py: this Covisor with a migration more."""
from covisor.store.sql import migrations as m

_DDL = "ALTER TABLE conversations ADD COLUMN upgraded_by_test TEXT"


async def _apply(db):
    await db.execute(_DDL)


_NEXT = m.Migration(m.SQLITE_MIGRATIONS[-1].version + 1, "a test's upgrade", _apply)
m.SQLITE_MIGRATIONS = (*m.SQLITE_MIGRATIONS, _NEXT)
m.POSTGRESQL_MIGRATIONS = (*m.POSTGRESQL_MIGRATIONS, _NEXT)
'''


async def connections(url: str) -> float:
    """The Socket.IO connections a node holds, from its /metrics."""
    async with aiohttp.ClientSession() as http, http.get(f"{url}/metrics") as response:
        text = await response.text()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("covisor_connections{")
    )


class Load:
    """Every talker sending lines (each with a client id) until told to stop."""

    def __init__(self, talkers: list[Talker]) -> None:
        self.talkers = talkers
        self.sent: dict[str, str] = {}

    async def during(self, phase: str, work: Callable[[], Awaitable[Any]]) -> Any:
        """Run `work` while every talker chats, then let each send 20 more lines."""
        done = asyncio.Event()

        async def chatter(talker: Talker) -> None:
            for n in itertools.count():
                if done.is_set() and n >= 20:
                    return
                client_id = f"{phase}-{talker.name}-{n}"
                self.sent[client_id] = f"{talker.name} says {n}"
                await talker.say(self.sent[client_id], client_id)
                await asyncio.sleep(0.01)

        talking = [asyncio.create_task(chatter(t)) for t in self.talkers]
        await asyncio.sleep(1.0)
        result = await work()
        done.set()
        await asyncio.wait_for(asyncio.gather(*talking), 60)
        return result

    async def nothing_lost(self, url: str, agent_token: str, cids: list[str]) -> int:
        """Check every conversation has each acknowledged line once and every talker every
        event; how many lines were acknowledged."""
        acknowledged = 0
        async with aiohttp.ClientSession() as http:
            for cid in cids:
                transcript = await _get(
                    http, url, f"/api/conversations/{cid}/transcript", agent_token
                )
                by_client = [m["data"]["client_id"] for m in transcript["messages"]]
                assert len(by_client) == len(set(by_client)), "no message is there twice"
                mine = [t for t in self.talkers if t.cid == cid]
                acked = {k for t in mine for k in t.acked}
                assert acked == set(by_client), "every acknowledged message, and only those"
                assert all(
                    self.sent[m["data"]["client_id"]] == m["data"]["text"]
                    for m in transcript["messages"]
                )
                acknowledged += len(acked)
                for talker in mine:
                    await talker._join()
                    last = transcript["conversation"]["last_seq"]
                    assert talker.missing(last) == [], f"{talker.name} has every event"
        return acknowledged


async def test_three_nodes_lose_and_repeat_nothing_when_one_dies_and_all_are_upgraded(
    spawn: Any, redis: str, tmp_path: Path, postgres_url: str, media_url: str, s3_server: str
) -> None:
    if not os.path.exists(NGINX):
        pytest.fail("nginx is required (scripts/test.sh installs it)")
    env = {
        "COVISOR_REDIS_CHANNEL": f"covisor-test-{uuid.uuid4().hex}",
        "COVISOR_MEDIA_URL": media_url,
        "COVISOR_CHAT_RATE": "200/200",
        "COVISOR_MEDIA_WORKERS": "1",
        "COVISOR_DRAIN_TIMEOUT": "5",
    }
    if os.geteuid() != 0:
        pytest.fail("three hosts need network namespaces: run as root")
    ports = [free_port() for _ in range(3)]
    with Hosts(3) as hosts:
        async with hosts.forwarding(*(_port(u) for u in (postgres_url, redis, s3_server))):
            reached = {u: _on(u, hosts.gateway) for u in (postgres_url, redis, s3_server)}
            env |= {
                "COVISOR_DATABASE_URL": reached[postgres_url],
                "AWS_ENDPOINT_URL": reached[s3_server],
                "COVISOR_TRUSTED_PROXIES": hosts.gateway,
            }
            await _three_nodes(spawn, reached[redis], tmp_path, postgres_url, env, hosts, ports)


def _port(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None, url
    return port


def _on(url: str, host: str) -> str:
    """`url` with its host (this namespace's loopback) replaced by `host`."""
    parts = urlsplit(url)
    netloc = parts.netloc.replace(f"{parts.hostname}:", f"{host}:", 1)
    return urlunsplit(parts._replace(netloc=netloc))


async def _three_nodes(
    spawn: Any,
    redis: str,
    tmp_path: Path,
    postgres_url: str,
    env: dict[str, str],
    hosts: Hosts,
    ports: list[int],
) -> None:
    async def node(index: int, upgraded: bool = False) -> ServerProcess:
        changes = {"PYTHONPATH": str(tmp_path / "upgrade")} if upgraded else {}
        data = tmp_path / f"node{index}"
        address, port = hosts.address(index), str(ports[index])
        started: ServerProcess = await spawn(
            data,
            *("--redis-url", redis, "--host", address, "--port", port),
            env={**env, **changes},
            prefix=hosts.run_in(index),
        )
        return started

    (tmp_path / "upgrade").mkdir()
    (tmp_path / "upgrade" / "sitecustomize.py").write_text(UPGRADE)
    nodes = [await node(i) for i in range(3)]
    upstreams = [f"{hosts.address(i)}:{port}" for i, port in enumerate(ports)]
    url, proxy = await nginx_in_front(upstreams, tmp_path / "nginx")
    talkers: list[Talker] = []
    try:
        agent_token = await agent_token_for(
            tmp_path / "node0", "Agent", "--database-url", postgres_url
        )
        cids = []
        for n in range(CONVERSATIONS):
            opened = await open_accepted(url, agent_token, override=True)
            cids.append(opened["id"])
            talkers += [
                Talker(url, opened["token"], opened["id"], f"shopper{n}"),
                Talker(url, agent_token, opened["id"], f"agent{n}"),
            ]
        photo = await _upload(url, cids[0], talkers[0].token)
        for talker in talkers:
            await talker.start()
        await asyncio.gather(*(asyncio.wait_for(t.joined.wait(), 10) for t in talkers))
        held = [await connections(n.url) for n in nodes]
        victim = held.index(max(held))
        assert held[victim] >= len(talkers), held
        load = Load(talkers)

        async def kill() -> list[float]:
            before = [t.reconnects for t in talkers]
            killed_at = time.monotonic()
            await nodes[victim].kill()
            rejoined = (
                _rejoined_after(t, n, killed_at) for t, n in zip(talkers, before, strict=True)
            )
            return list(await asyncio.gather(*rejoined))

        back = await load.during("kill", kill)
        acknowledged = await load.nothing_lost(url, agent_token, cids)
        assert all(t.reconnects >= 1 for t in talkers), "every client was on the killed node"
        async with aiohttp.ClientSession() as http:
            media = f"/api/conversations/{cids[0]}/media/{photo}"
            view = await _get(http, url, media, agent_token)
            for variant in ("display_webp", "original"):
                async with http.get(url + view["variants"][variant]["url"]) as response:
                    assert response.status == 200, variant
        p99 = statistics.quantiles(back, n=100)[98] if len(back) > 1 else back[0]
        print(
            f"\nthree nodes, one killed: {len(talkers)} clients in {len(cids)} conversations, "
            f"{acknowledged} messages acknowledged, 0 lost, 0 repeated; back on a live node "
            f"and joined after p50 {statistics.median(back):.2f} s, p99 {p99:.2f} s, "
            f"max {max(back):.2f} s"
        )
        assert max(back) < 5.0, back

        async def upgrade() -> None:
            nodes[victim] = await node(victim, upgraded=True)
            for index in (i for i in range(3) if i != victim):
                process = nodes[index].process
                assert process is not None
                process.send_signal(signal.SIGTERM)
                assert await asyncio.wait_for(process.wait(), 30) == 0
                nodes[index] = await node(index, upgraded=True)

        started = time.monotonic()
        await load.during("upgrade", upgrade)
        took = time.monotonic() - started
        acknowledged = await load.nothing_lost(url, agent_token, cids)
        with psycopg.connect(postgres_url) as db:
            (version,) = db.execute("SELECT max(version) FROM schema_migrations").fetchone() or ()
            db.execute("SELECT upgraded_by_test FROM conversations LIMIT 1")
        assert version == POSTGRESQL_MIGRATIONS[-1].version + 1, "the test's migration"
        print(
            f"rolling upgrade of three nodes with a migration in {took:.1f} s: {acknowledged} "
            "messages acknowledged in all, 0 lost, 0 repeated"
        )
    finally:
        for talker in talkers:
            await talker.sio.disconnect()
        proxy.terminate()
        await proxy.wait()


async def _upload(url: str, cid: str, token: str) -> str:
    """A shopper's photo uploaded through nginx (to the node that will be killed); its id."""
    form = aiohttp.FormData()
    form.add_field(
        "file", samples.camera_jpeg((640, 480)), filename="photo.jpg", content_type="image/jpeg"
    )
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{url}/api/conversations/{cid}/media",
            data=form,
            headers={"Authorization": f"Bearer {token}"},
        ) as response,
    ):
        assert response.status == 201, await response.text()
        item: dict[str, Any] = await response.json()
    return str(item["id"])


async def _rejoined_after(talker: Talker, reconnects: int, killed_at: float) -> float:
    """Seconds from the kill until `talker` has connected again (more than `reconnects` times)
    and rejoined."""
    deadline = killed_at + 30
    while talker.reconnects <= reconnects or not talker.joined.is_set():
        assert time.monotonic() < deadline, f"{talker.name} is not back"
        await asyncio.sleep(0.005)
    return time.monotonic() - killed_at


async def _get(http: aiohttp.ClientSession, url: str, path: str, token: str) -> Any:
    async with http.get(url + path, headers={"Authorization": f"Bearer {token}"}) as response:
        assert response.status == 200, await response.text()
        return await response.json()
