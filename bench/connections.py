"""Connections benchmark: what an open visitor page costs a server while it just stays open.

Every shop page with the widget keeps one Socket.IO WebSocket (the live visitors list), so the
count a node holds is the shop's concurrent visitors, not its chats. For each target (Covisor's
`covisor serve`, one process, SQLite; then the Node socket.io baseline of bench/baseline) this
opens `--connections` visitor pages in steps, each with its own credential and one `visitor.page`,
then holds them `--hold` seconds answering Engine.IO's pings, and prints the server's resident
memory per connection (from /proc) and its CPU while they are open (pings, the widget's
heartbeats are not sent: an idle page). Clients run in this process at niceness `--client-nice`.

Usage: python bench/connections.py [--connections 1000,4000] [--hold 30] [--client-nice 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from relay_servers import (
    Processes,
    ensure_baseline_installed,
    group_cpu_seconds,
    installed_covisor_command,
    start_server,
)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def page(http: aiohttp.ClientSession, url: str, number: int, open_: list[object]) -> None:
    async with http.post(f"{url}/api/visitors", json={}) as response:
        token = (await response.json())["token"]
    ws = await http.ws_connect(f"{url}/socket.io/?EIO=4&transport=websocket")
    await ws.receive_str()
    await ws.send_str("40" + json.dumps({"token": token}))
    if not (await ws.receive_str()).startswith("40{"):
        raise ConnectionError("refused")
    body = {"url": f"https://shop.example/p/{number % 50}", "title": f"Product {number}"}
    await ws.send_str("421" + json.dumps(["visitor.page", body]))
    open_.append(ws)
    async for frame in ws:
        if frame.type == aiohttp.WSMsgType.TEXT and frame.data == "2":
            await ws.send_str("3")


async def measure(target: str, counts: list[int], hold: float, scratch: Path) -> list[str]:
    processes = Processes()
    rows = []
    try:
        server = await start_server(target, 0, processes, scratch, installed_covisor_command())
        pid = server.process.pid
        await asyncio.sleep(2)
        base = rss_mb(pid)
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as http:
            open_: list[object] = []
            tasks: list[asyncio.Task[None]] = []
            for count in counts:
                while len(tasks) < count:
                    batch = [
                        asyncio.create_task(page(http, server.url, n, open_))
                        for n in range(len(tasks), min(count, len(tasks) + 200))
                    ]
                    tasks += batch
                    while len(open_) < len(tasks) and not any(t.done() for t in batch):
                        await asyncio.sleep(0.05)
                while len(open_) < count:
                    failed = [t for t in tasks if t.done() and t.exception()]
                    if failed:
                        raise RuntimeError(f"{len(failed)} pages failed: {failed[0].exception()}")
                    await asyncio.sleep(0.05)
                await asyncio.sleep(3)
                cpu_before, started = group_cpu_seconds(pid), time.monotonic()
                await asyncio.sleep(hold)
                cpu = (group_cpu_seconds(pid) - cpu_before) / (time.monotonic() - started)
                rss = rss_mb(pid)
                per = (rss - base) * 1024 / count
                rows.append(
                    f"| {target} | {count:,} | {rss:,.0f} MB | {per:.1f} KB | {cpu * 100:.1f} % |"
                )
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        await processes.stop_all()
    return rows


async def main(args: argparse.Namespace) -> None:
    os.nice(args.client_nice)
    ensure_baseline_installed()
    counts = [int(n) for n in args.connections.split(",")]
    print(
        f"# Connections — {time.strftime('%Y-%m-%d')} — {platform.node()}, {os.cpu_count()} CPUs,"
        f" Python {sys.version.split()[0]}; held {args.hold:.0f} s each\n"
    )
    print("| target | open pages | server RSS | RSS per page | server CPU while open |")
    print("|---|---:|---:|---:|---:|")
    for target in ("covisor", "baseline"):
        with tempfile.TemporaryDirectory() as scratch:
            for row in await measure(target, counts, args.hold, Path(scratch)):
                print(row, flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", default="1000,4000")
    parser.add_argument("--hold", type=float, default=30.0)
    parser.add_argument("--client-nice", type=int, default=10)
    asyncio.run(main(parser.parse_args()))
