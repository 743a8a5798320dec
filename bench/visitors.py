"""Live visitors benchmark: thousands of shop visitors browsing, against one server process.

Simulated visitors (bench/visitor_clients.py, in ``--workers`` processes) each view a page every
``--interval`` seconds, opening a Socket.IO WebSocket per page with the page in its `auth`, as the
widget does. One agent watches the live list (`visitors` pushes). Reported for Covisor and, in the
same invocation, for bench/baseline/server.js (Node.js socket.io that pushes a page to agents as its
connection arrives, storing nothing): page views per second absorbed (their connection accepted),
the agent's list update latency (p50/p99, from the page's send time to the push arriving), server
CPU and CPU per page view, and the ratio of Covisor's CPU per page view to the baseline's. Covisor
writes page views every `visitor_flush` (1 s by default), which is the floor of its update latency.

Usage: python bench/visitors.py [--visitors 2000] [--interval 5] [--seconds 20] [--warmup 5]
                                [--workers 2] [--only covisor|baseline]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import socketio
from relay_servers import (
    BASELINE_DIR,
    BenchError,
    Processes,
    _run_checked,
    _wait_healthy,
    ensure_baseline_installed,
    free_port,
    group_cpu_seconds,
    installed_covisor_command,
)

CLIENTS = Path(__file__).resolve().with_name("visitor_clients.py")


@dataclass(frozen=True)
class Result:
    target: str
    offered_per_second: float
    absorbed_per_second: float
    errors: int
    latencies_ms: list[float]
    server_cpu_percent: float
    client_cpu_percent: float

    @property
    def cpu_us_per_view(self) -> float:
        if not self.absorbed_per_second:
            return math.nan
        return self.server_cpu_percent / 100 / self.absorbed_per_second * 1e6


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Agent:
    """An agent's console: when each visitor's page reached it."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.latencies: list[float] = []
        self.measuring = False
        self.sio.on("visitors", self._on_visitors)

    async def _on_visitors(self, message: dict[str, object]) -> None:
        if not self.measuring:
            return
        now = time.time() * 1000
        for visitor in message.get("visitors", []):  # type: ignore[attr-defined]
            title = (visitor.get("page") or {}).get("title") or ""
            if title.startswith("bench "):
                self.latencies.append(now - float(title.split()[1]))


async def start(
    target: str, processes: Processes, scratch: Path
) -> tuple[asyncio.subprocess.Process, str, str]:
    """Start `target` on a free loopback port; `(process, url, an agent's token)`."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = scratch / f"{target}.log"
    listen = ["--host", "127.0.0.1", "--port", str(port)]
    if target == "covisor":
        covisor = installed_covisor_command()
        data = scratch / "data"
        out = await _run_checked([*covisor, "agents", "add", "Bench", "--data-dir", str(data)], 60)
        token = out.strip().splitlines()[-1]
        command, cwd = [*covisor, "serve", *listen, "--data-dir", str(data)], None
        env: dict[str, str] | None = {**os.environ, "COVISOR_SEED_DEMO": "0"}
    else:
        ensure_baseline_installed()
        command, cwd, token = ["node", "server.js", *listen], BASELINE_DIR, "agent-1"
        env = None
    with log.open("wb") as sink:
        process = await processes.start(*command, cwd=cwd, stdout=sink, stderr=sink, env=env)
    await _wait_healthy(url, process, log)
    return process, url, token


async def run_one(target: str, args: argparse.Namespace, scratch: Path) -> Result:
    processes = Processes()
    try:
        server, url, token = await start(target, processes, scratch)
        agent = Agent()
        await agent.sio.connect(url, auth={"token": token}, transports=["websocket"])
        share = math.ceil(args.visitors / args.workers)
        duration = args.warmup + args.seconds
        workers = [
            await processes.start(
                sys.executable,
                CLIENTS,
                url,
                str(share),
                str(args.interval),
                str(duration),
                stdout=asyncio.subprocess.PIPE,
            )
            for _ in range(args.workers)
        ]
        await asyncio.sleep(args.warmup)
        agent.measuring = True
        pid = server.pid
        cpu_before = group_cpu_seconds(pid)
        started = time.monotonic()
        await asyncio.sleep(args.seconds)
        cpu = group_cpu_seconds(pid) - cpu_before
        window = time.monotonic() - started
        agent.measuring = False
        outputs = [
            json.loads((await w.communicate())[0].decode().splitlines()[-1]) for w in workers
        ]
        await agent.sio.disconnect()
        sent = sum(o["sent"] for o in outputs)
        acked = sum(o["acked"] for o in outputs)
        return Result(
            target,
            offered_per_second=sent / duration,
            absorbed_per_second=acked / duration,
            errors=sum(o["errors"] for o in outputs),
            latencies_ms=agent.latencies,
            server_cpu_percent=cpu / window * 100,
            client_cpu_percent=sum(o["cpu_seconds"] for o in outputs) / duration * 100,
        )
    finally:
        await processes.stop_all()


def table(results: list[Result]) -> str:
    baseline = next((r for r in results if r.target == "baseline"), None)
    lines = [
        "| target | page views/s offered | absorbed | errors | list update p50 | p99 "
        "| server CPU | CPU per page view | vs baseline | clients' CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ratio = (
            f"{r.cpu_us_per_view / baseline.cpu_us_per_view:.1f}x"
            if baseline is not None and baseline.cpu_us_per_view
            else "—"
        )
        lines.append(
            f"| {r.target} | {r.offered_per_second:,.0f} | {r.absorbed_per_second:,.0f} "
            f"| {r.errors} | {percentile(r.latencies_ms, 0.5):,.0f} ms "
            f"| {percentile(r.latencies_ms, 0.99):,.0f} ms | {r.server_cpu_percent:.0f} % "
            f"| {r.cpu_us_per_view:,.0f} µs | {ratio} | {r.client_cpu_percent:.0f} % |"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visitors", type=int, default=2000)
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between pages")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured window")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=2, help="client processes")
    parser.add_argument("--only", choices=("covisor", "baseline"))
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> list[Result]:
    results = []
    for target in ("covisor", "baseline"):
        if args.only in (None, target):
            with tempfile.TemporaryDirectory(prefix=f"covisor-visitors-{target}-") as scratch:
                results.append(await run_one(target, args, Path(scratch)))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print(
        f"{args.visitors} visitors, a page every {args.interval:g} s each, "
        f"{args.seconds:g} s measured after {args.warmup:g} s, {args.workers} client processes, "
        f"{os.cpu_count()} CPUs",
        flush=True,
    )
    try:
        results = asyncio.run(run(args))
    except BenchError as failure:
        print(f"bench failed: {failure}", file=sys.stderr)
        return 1
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
