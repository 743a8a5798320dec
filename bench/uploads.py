"""Does the server keep answering while photos upload? Event-loop responsiveness during 12 MP
uploads, next to a baseline that processes them on the event loop.

    python bench/uploads.py [--uploads 8] [--concurrency 4] [--workers 2]

Runs the real application in this process on a loopback port (as the tests do). A client on the
same event loop uploads camera-like 12 MP JPEGs (`write_photos` of bench/media.py), `concurrency`
at a time, into one conversation, while a Socket.IO client of the other member does `time`
round trips back to back and a ticker task notes how late each 5 ms sleep wakes up (after one
warm-up upload). Two runs:

- covisor:     processing in the worker pool (`--workers` processes), as `covisor serve` does;
- on the loop: the same server with the pipeline's offload replaced by a call in place, on the
               event loop, as an upload handler calling `process_image` directly would.

Prints uploads/s and, while uploads are in flight, the Socket.IO round trip and the ticker's
lateness (p50 / p99 / max, ms). Numbers go in docs/BENCHMARKS.md. The machine is shared: keep
the counts small.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import socketio
from aiohttp.test_utils import TestServer

from covisor.app.http import COVISOR, create_app
from covisor.config import Config
from media import write_photos

T = TypeVar("T")
TICK = 0.005


class OnTheLoop:
    """Stands in for the pipeline's `BoundedExecutor`: runs each job in place, on the loop."""

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return fn(*args, **kwargs)


@dataclass
class Result:
    name: str
    uploads_per_second: float
    round_trips_ms: list[float]
    lateness_ms: list[float]


async def run(name: str, photos: list[bytes], concurrency: int, workers: int, data: Path) -> Result:
    config = Config(data_dir=data, port=0, seed_demo=False, media_workers=workers)
    server = TestServer(await create_app(config), host="127.0.0.1")
    await server.start_server()
    covisor = server.app[COVISOR]
    if name == "on the loop":
        covisor.media.pipeline.offload = OnTheLoop()  # type: ignore[assignment]
    url = str(server.make_url("")).rstrip("/")
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{url}/api/conversations", json={}) as answer:
                opened = await answer.json()
            _, agent_token = await covisor.agents.add("Bench")
            auth = {"Authorization": f"Bearer {agent_token}"}
            async with http.post(f"{url}/api/conversations/{opened['id']}/accept", headers=auth):
                pass
            agent = socketio.AsyncClient(reconnection=False)
            await agent.connect(url, auth={"token": agent_token}, transports=["websocket"])
            await agent.call("join", {"conversation_id": opened["id"]}, timeout=10)
            return await measure(name, http, url, opened, agent, photos, concurrency)
    finally:
        await server.close()


async def measure(
    name: str,
    http: aiohttp.ClientSession,
    url: str,
    opened: dict[str, Any],
    agent: socketio.AsyncClient,
    photos: list[bytes],
    concurrency: int,
) -> Result:
    slots = asyncio.Semaphore(concurrency)
    done = asyncio.Event()
    round_trips: list[float] = []
    lateness: list[float] = []

    async def upload(photo: bytes) -> None:
        form = aiohttp.FormData()
        form.add_field("file", photo, filename="photo.jpg")
        headers = {"Authorization": f"Bearer {opened['token']}"}
        async with (
            slots,
            http.post(
                f"{url}/api/conversations/{opened['id']}/media", data=form, headers=headers
            ) as answer,
        ):
            assert answer.status == 201, await answer.text()

    async def ping() -> None:
        while not done.is_set():
            start = time.perf_counter()
            await agent.call("time", {}, timeout=60)
            round_trips.append((time.perf_counter() - start) * 1000)

    async def tick() -> None:
        while not done.is_set():
            start = time.perf_counter()
            await asyncio.sleep(TICK)
            lateness.append((time.perf_counter() - start - TICK) * 1000)

    await upload(photos[0])  # warm-up: worker processes started, code paths loaded
    watchers = [asyncio.create_task(ping()), asyncio.create_task(tick())]
    start = time.perf_counter()
    await asyncio.gather(*(upload(photo) for photo in photos))
    elapsed = time.perf_counter() - start
    done.set()
    await asyncio.gather(*watchers)
    await agent.disconnect()
    return Result(name, len(photos) / elapsed, round_trips, lateness)


def spread(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"{statistics.median(ordered):.1f} / {p99:.1f} / {ordered[-1]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--uploads", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        photos = [path.read_bytes() for path in write_photos(root, args.uploads)]
        results = [
            asyncio.run(run(name, photos, args.concurrency, args.workers, root / name))
            for name in ("covisor", "on the loop")
        ]
    print(
        f"{args.uploads} uploads of 12 MP JPEGs ({sum(map(len, photos)) / len(photos) / 1e6:.1f}"
        f" MB each), {args.concurrency} at a time, {args.workers} worker processes\n"
    )
    print(
        "| processing | uploads/s | Socket.IO round trip ms p50 / p99 / max |"
        " loop lateness ms p50 / p99 / max |"
    )
    print("|---|---:|---:|---:|")
    for r in results:
        print(
            f"| {r.name} | {r.uploads_per_second:.1f} | {spread(r.round_trips_ms)} "
            f"({len(r.round_trips_ms)} trips) | {spread(r.lateness_ms)} |"
        )


if __name__ == "__main__":
    main()
