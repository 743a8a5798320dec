"""How long after a photo's last byte reaches the server the agent can show it: `media.ready`
for its first picture, then `media.updated` for the rest, next to the decode floor.

Used by bench/media.py. A real `covisor serve` on loopback (SQLite, its worker pool, a fresh
data directory); a shopper's conversation accepted by an agent whose python-socketio client
is joined to it; each photo a new 12 MP JPEG (new bytes: nothing is reused), uploaded by the
shopper over HTTP. The clock starts when the HTTP client has handed the body's last chunk to
the socket (on loopback, the server has it then) and stops when the agent's socket receives
the event (code that makes every variant before `media.ready`, as before issue 27, is
measured too: its `media.ready` counts for both). The floor, taken in this process just
before each upload of the same photo, is the decode at 1/2 scale alone (bench/media.py's
`floor` pipeline): the least work that shows it.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import socketio
from covisor_server import Server
from PIL import Image

_CHUNK = 256 * 1024


@dataclass(frozen=True)
class Upload:
    """One photo's figures, milliseconds."""

    floor: float
    first: float
    whole: float


def decode_floor(path: Path) -> float:
    """Milliseconds to decode `path` at 1/2 scale: the median of three (the server decodes
    each photo once, so the best of several would flatter the floor)."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        with Image.open(path) as image:
            image.draft("RGB", (image.width // 2, image.height // 2))
            image.load()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def measure(paths: list[Path], data_dir: Path) -> list[Upload]:
    """Upload each of `paths` once (the first one also warms the server up and is dropped)."""
    server = Server(data_dir)
    try:
        return asyncio.run(_measure(server, paths))
    finally:
        server.close()


def report(uploads: list[Upload]) -> None:
    floor = statistics.median(u.floor for u in uploads)
    first = statistics.median(u.first for u in uploads)
    whole = statistics.median(u.whole for u in uploads)
    print(
        f"From the last byte sent to the agent's socket, {len(uploads)} uploads of new 12 MP "
        "photos (median ms; floor: the decode at 1/2 alone, in the bench's process):"
    )
    print("| event | median | min | max | over the floor |")
    print("|---|---:|---:|---:|---:|")
    for name, values in (
        ("floor (decode)", [u.floor for u in uploads]),
        ("`media.ready` (first picture)", [u.first for u in uploads]),
        ("`media.updated` (every variant)", [u.whole for u in uploads]),
    ):
        middle = statistics.median(values)
        print(
            f"| {name} | {middle:.0f} | {min(values):.0f} | {max(values):.0f} "
            f"| {middle / floor:.2f}x |"
        )
    print(f"first visible: covisor / floor = {first / floor:.1f}x")
    print(f"every variant: covisor / floor = {whole / floor:.1f}x")


async def _measure(server: Server, paths: list[Path]) -> list[Upload]:
    async with aiohttp.ClientSession(server.url) as http:
        answer = await http.post("/api/conversations", json={})
        opened = await answer.json()
        conversation_id, shopper = opened["id"], opened["token"]
        agent_headers = {"Authorization": f"Bearer {server.agent_token}"}
        accepted = await http.post(
            f"/api/conversations/{conversation_id}/accept", headers=agent_headers
        )
        accepted.raise_for_status()
        arrivals: dict[tuple[str, str], float] = {}
        seen = asyncio.Event()
        agent = socketio.AsyncClient(reconnection=False)

        async def on_event(event: dict[str, Any]) -> None:
            data = event.get("data") or {}
            upload_id, kind = data.get("upload_id"), event["type"]
            if upload_id is None:
                return
            arrivals[(kind, upload_id)] = time.perf_counter()
            if kind == "media.ready" and "thumb_webp" in data["media"]["variants"]:
                arrivals[("media.updated", upload_id)] = arrivals[(kind, upload_id)]
            seen.set()

        agent.on("event", on_event)
        await agent.connect(
            server.url, auth={"token": server.agent_token}, transports=["websocket"]
        )
        await agent.call("join", {"conversation_id": conversation_id}, timeout=30)
        try:
            uploads = []
            for index, path in enumerate(paths):
                floor = decode_floor(path)
                upload_id = f"u_{uuid.uuid4().hex[:12]}"
                sent = await _upload(http, conversation_id, shopper, upload_id, path)
                while ("media.updated", upload_id) not in arrivals:
                    seen.clear()
                    await asyncio.wait_for(seen.wait(), 60)
                first = arrivals[("media.ready", upload_id)] - sent
                whole = arrivals[("media.updated", upload_id)] - sent
                if index:
                    uploads.append(Upload(floor, first * 1000, whole * 1000))
            return uploads
        finally:
            await agent.disconnect()


async def _upload(
    http: aiohttp.ClientSession, conversation_id: str, token: str, upload_id: str, path: Path
) -> float:
    """Upload `path`; the `perf_counter` at which the body's last chunk was handed over."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"'
        "\r\nContent-Type: image/jpeg\r\n\r\n"
    ).encode()
    body = head + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    sent = [0.0]

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), _CHUNK):
            yield body[start : start + _CHUNK]
        sent[0] = time.perf_counter()

    answer = await http.post(
        f"/api/conversations/{conversation_id}/media",
        params={"upload_id": upload_id},
        data=chunks(),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(body)),
        },
    )
    if answer.status != 201:
        raise RuntimeError(f"upload refused: {answer.status} {await answer.text()}")
    return sent[0]
