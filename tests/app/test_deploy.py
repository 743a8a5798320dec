"""The tested deployment: Debian's nginx with deploy/nginx.conf in front of two `covisor serve`
processes sharing Redis and one data dir, driven by real Socket.IO clients and an upload.

Clients connect from different loopback addresses (127.0.0.5, .6, …), so nginx's address
hashing spreads them over both processes and Covisor, trusting nginx (127.0.0.1) only, counts
each client by its own address, whatever X-Forwarded-For a client sends.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from tests.conftest import agent_token_for, free_port
from tests.media import samples

pytestmark = pytest.mark.redis

CONF = Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def render(upstreams: list[str], listen: int) -> str:
    """deploy/nginx.conf with its first `len(upstreams)` upstream servers pointed at those
    `host:port`s (the others left out) and `listen` at loopback."""
    text = CONF.read_text()
    for index, upstream in enumerate(upstreams, 1):
        text = text.replace(f"server covisor-{index}:8080", f"server {upstream}")
    text = re.sub(r"\n *server covisor-\d+:8080[^\n]*", "", text)
    text, found = re.subn(r"listen 80;", f"listen 127.0.0.1:{listen};", text)
    assert found == 1 and "covisor-" not in text.replace("covisor;", "")
    return text


@pytest.fixture
async def nginx(spawn: Any, redis: str, tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    if not os.path.exists(NGINX):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("nginx is required in CI (scripts/test.sh installs it)")
        pytest.skip("nginx is not installed")
    data = tmp_path / "data"
    env = {
        "COVISOR_REDIS_CHANNEL": f"covisor-test-{uuid.uuid4().hex}",
        "COVISOR_TRUSTED_PROXIES": "127.0.0.1",
        "COVISOR_CONVERSATIONS_PER_ADDRESS": "2",
        "COVISOR_MEDIA_WORKERS": "1",
    }
    agent = await agent_token_for(data)
    servers = [await spawn(data, "--redis-url", redis, env=env) for _ in range(2)]
    ports = [int(server.url.rsplit(":", 1)[1]) for server in servers]
    url, process = await nginx_in_front([f"127.0.0.1:{p}" for p in ports], tmp_path / "nginx")
    try:
        yield {"url": url, "agent": agent, "servers": [s.url for s in servers]}
    finally:
        process.terminate()
        await process.wait()


async def nginx_in_front(
    upstreams: list[str], prefix: Path
) -> tuple[str, asyncio.subprocess.Process]:
    """nginx with deploy/nginx.conf (`render`) in front of the Covisor processes at
    `upstreams` (`host:port`), its files under `prefix`, listening once this returns; its URL
    and process."""
    listen = free_port()
    prefix.mkdir()
    (prefix / "nginx.conf").write_text(render(upstreams, listen))
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


def session_from(address: str) -> aiohttp.ClientSession:
    """An HTTP session whose connections leave from `address` (a loopback address)."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(address, 0)))


async def connected(url: str, token: str, http: aiohttp.ClientSession, transport: str) -> Any:
    client = socketio.AsyncClient(reconnection=False, http_session=http)
    await client.connect(url, auth={"token": token}, transports=[transport])
    return client


async def test_socket_io_uploads_and_client_addresses_through_nginx(
    nginx: dict[str, Any],
) -> None:
    url, agent_token = nginx["url"], nginx["agent"]
    sessions = {n: session_from(f"127.0.0.{n}") for n in range(5, 13)}
    clients: list[Any] = []
    try:
        opened = []
        for n, http in sessions.items():
            headers = {"X-Forwarded-For": "203.0.113.99"}
            async with http.post(f"{url}/api/conversations", json={}, headers=headers) as r:
                assert r.status == 201, (n, await r.text())
                opened.append((n, await r.json()))
        five = sessions[5]
        async with five.post(f"{url}/api/conversations", json={}) as r:
            assert r.status == 201
        async with five.post(f"{url}/api/conversations", json={}) as r:
            assert r.status == 429 and r.headers["Retry-After"]
        async with sessions[6].post(f"{url}/api/conversations", json={}) as r:
            assert r.status == 201, "127.0.0.6 has its own allowance"

        agent_auth = {"Authorization": f"Bearer {agent_token}"}
        seqs = []
        for index, (n, conversation) in enumerate(opened):
            cid = conversation["id"]
            accept = f"{url}/api/conversations/{cid}/accept"
            # One agent takes them all, past its capacity: on purpose.
            async with five.post(accept, headers=agent_auth, json={"override": True}) as r:
                assert r.status == 200
            transport = "polling" if index == 1 else "websocket"
            shopper = await connected(url, conversation["token"], sessions[n], transport)
            clients.append(shopper)
            joined = await shopper.call("join", {"conversation_id": cid}, timeout=10)
            assert joined["ok"] is True
            sent = await shopper.call(
                "chat.send", {"conversation_id": cid, "text": f"hello from .{n}"}, timeout=10
            )
            assert sent["ok"] is True
            seqs.append((cid, sent["seq"]))

        agent = await connected(url, agent_token, sessions[7], "websocket")
        clients.append(agent)
        for cid, seq in seqs:
            answer = await agent.call("join", {"conversation_id": cid}, timeout=10)
            texts = [m["data"]["text"] for m in answer["snapshot"]["messages"]]
            assert answer["seq"] == seq and len(texts) == 1

        cid = opened[0][1]["id"]
        form = aiohttp.FormData()
        photo = samples.camera_jpeg((2400, 1800))
        form.add_field("file", photo, filename="box.jpg", content_type="image/jpeg")
        shopper_auth = {"Authorization": f"Bearer {opened[0][1]['token']}"}
        async with sessions[opened[0][0]].post(
            f"{url}/api/conversations/{cid}/media", data=form, headers=shopper_auth
        ) as r:
            assert r.status == 201, await r.text()
            item = await r.json()
        async with five.get(url + item["variants"]["display_webp"]["url"]) as r:
            assert r.status == 200 and r.headers["Content-Type"] == "image/webp"

        per_process = []
        async with aiohttp.ClientSession() as direct:
            for server in nginx["servers"]:
                async with direct.get(f"{server}/metrics") as r:
                    text = await r.text()
                per_process.append(sum(
                    float(line.rsplit(" ", 1)[1])
                    for line in text.splitlines()
                    if line.startswith("covisor_connections{")
                ))  # fmt: skip
        assert sum(per_process) == len(clients)
        assert all(count > 0 for count in per_process), "nginx spread clients over both"
    finally:
        await asyncio.gather(*(client.disconnect() for client in clients))
        for http in sessions.values():
            await http.close()
