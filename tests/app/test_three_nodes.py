"""Three nodes that share nothing but PostgreSQL, Redis and an S3 server (separate data
directories), behind Debian's nginx with deploy/nginx.conf; one is killed (SIGKILL) while
shoppers and agents chat through it. Nothing acknowledged is lost or repeated, every client is
back on a surviving node and caught up, and a photo uploaded through the dead node is still
served. The figures are printed (pytest -s)."""

from __future__ import annotations

import asyncio
import itertools
import os
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.app.test_deploy import NGINX, render
from tests.app.test_rolling_restart import Talker
from tests.conftest import ServerProcess, agent_token_for, free_port, open_accepted
from tests.media import samples

pytestmark = pytest.mark.redis


async def connections(url: str) -> float:
    """The Socket.IO connections a node holds, from its /metrics."""
    async with aiohttp.ClientSession() as http, http.get(f"{url}/metrics") as response:
        text = await response.text()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("covisor_connections{")
    )


async def nginx_in_front(ports: list[int], prefix: Path) -> tuple[str, asyncio.subprocess.Process]:
    listen = free_port()
    prefix.mkdir()
    conf = render(ports, listen)
    assert conf.count("server 127.0.0.1:") == 3, conf
    (prefix / "nginx.conf").write_text(conf)
    process = await asyncio.create_subprocess_exec(
        NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"),
        "-g", f"daemon off; pid {prefix}/nginx.pid; error_log {prefix}/error.log;",
    )  # fmt: skip
    for _ in range(100):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", listen)
        except OSError:
            await asyncio.sleep(0.05)
        else:
            writer.close()
            break
    return f"http://127.0.0.1:{listen}", process


async def test_three_nodes_one_killed_under_load_lose_and_repeat_nothing(
    spawn: Any, redis: str, tmp_path: Path, postgres_url: str, media_url: str
) -> None:
    if not os.path.exists(NGINX):
        pytest.fail("nginx is required (scripts/test.sh installs it)")
    env = {
        "COVISOR_REDIS_CHANNEL": f"covisor-test-{uuid.uuid4().hex}",
        "COVISOR_DATABASE_URL": postgres_url,
        "COVISOR_MEDIA_URL": media_url,
        "COVISOR_TRUSTED_PROXIES": "127.0.0.1",
        "COVISOR_CHAT_RATE": "200/200",
        "COVISOR_MEDIA_WORKERS": "1",
    }
    nodes: list[ServerProcess] = [
        await spawn(tmp_path / f"node{i}", "--redis-url", redis, env=env) for i in range(3)
    ]
    url, proxy = await nginx_in_front(
        [int(n.url.rsplit(":", 1)[1]) for n in nodes], tmp_path / "nginx"
    )
    talkers: list[Talker] = []
    try:
        agent_token = await agent_token_for(
            tmp_path / "node0", "Agent", "--database-url", postgres_url
        )
        pairs = []
        for n in range(2):
            opened = await open_accepted(url, agent_token)
            pairs.append(opened)
            talkers += [
                Talker(url, opened["token"], opened["id"], f"shopper{n}"),
                Talker(url, agent_token, opened["id"], f"agent{n}"),
            ]
        async with aiohttp.ClientSession() as http:
            photo = samples.camera_jpeg((640, 480))
            form = aiohttp.FormData()
            form.add_field("file", photo, filename="photo.jpg", content_type="image/jpeg")
            async with http.post(
                f"{url}/api/conversations/{pairs[0]['id']}/media",
                data=form,
                headers={"Authorization": f"Bearer {pairs[0]['token']}"},
            ) as response:
                assert response.status == 201, await response.text()
                item = await response.json()
        for talker in talkers:
            await talker.start()
        await asyncio.gather(*(asyncio.wait_for(t.joined.wait(), 10) for t in talkers))
        held = [await connections(n.url) for n in nodes]
        victim = held.index(max(held))
        assert held[victim] >= len(talkers), held

        done = asyncio.Event()
        sent: dict[str, str] = {}

        async def chatter(talker: Talker) -> None:
            for n in itertools.count():
                if done.is_set() and n >= 30:
                    return
                client_id = f"{talker.name}-{n}"
                sent[client_id] = f"{talker.name} says {n}"
                await talker.say(sent[client_id], client_id)
                await asyncio.sleep(0.01)

        talking = [asyncio.create_task(chatter(t)) for t in talkers]
        await asyncio.sleep(1.0)
        killed_at = time.monotonic()
        await nodes[victim].kill()
        back = await asyncio.gather(*(_rejoined_after(t, killed_at) for t in talkers))
        done.set()
        await asyncio.wait_for(asyncio.gather(*talking), 60)

        acknowledged = 0
        async with aiohttp.ClientSession() as http:
            for opened in pairs:
                async with http.get(
                    f"{url}/api/conversations/{opened['id']}/transcript",
                    headers={"Authorization": f"Bearer {agent_token}"},
                ) as response:
                    transcript = await response.json()
                by_client = [m["data"]["client_id"] for m in transcript["messages"]]
                assert len(by_client) == len(set(by_client)), "no message is there twice"
                acked = {k: v for t in talkers if t.cid == opened["id"] for k, v in t.acked.items()}
                assert set(acked) == set(by_client), "every acknowledged message, only those"
                acknowledged += len(acked)
                last = transcript["conversation"]["last_seq"]
                for talker in (t for t in talkers if t.cid == opened["id"]):
                    await talker._join()
                    assert talker.missing(last) == [], f"{talker.name} has every event"
            view = await _get(
                http, url, f"/api/conversations/{pairs[0]['id']}/media/{item['id']}", agent_token
            )
            for variant in ("display_webp", "original"):
                async with http.get(url + view["variants"][variant]["url"]) as response:
                    assert response.status == 200, variant
        assert all(t.reconnects >= 1 for t in talkers), "every client was on the killed node"
        print(
            f"\nthree nodes, one killed: {acknowledged} messages acknowledged, 0 lost, "
            f"0 repeated; back on a surviving node and joined after "
            f"p50 {statistics.median(back):.2f} s, max {max(back):.2f} s"
        )
        assert max(back) < 5.0, back
    finally:
        for talker in talkers:
            await talker.sio.disconnect()
        proxy.terminate()
        await proxy.wait()


async def _rejoined_after(talker: Talker, killed_at: float) -> float:
    """Seconds from the kill until `talker` is connected again and has rejoined."""
    while talker.joined.is_set():
        await asyncio.sleep(0.005)
    await asyncio.wait_for(talker.joined.wait(), 30)
    return time.monotonic() - killed_at


async def _get(http: aiohttp.ClientSession, url: str, path: str, token: str) -> Any:
    async with http.get(url + path, headers={"Authorization": f"Bearer {token}"}) as response:
        assert response.status == 200, await response.text()
        return await response.json()
