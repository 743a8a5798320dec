"""Server side of the relay benchmark: starting, accounting and stopping the processes.

bench/relay.py asks ``start_server`` for a fresh Covisor or baseline server per run; every
process goes through ``Processes`` so it is stopped (with whatever it spawned) however the run
ends, and ``group_cpu_seconds`` reads what a server's process group used from /proc, because
psutil is not available.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import aiohttp
from relay_clients import ConversationPlan

BENCH_DIR = Path(__file__).resolve().parent
BASELINE_DIR = BENCH_DIR / "baseline"
SERVER_START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0
PIPE_LIMIT = 64 * 1024 * 1024
HTTP_CONCURRENCY = 8
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PR_SET_PDEATHSIG = 1


class BenchError(RuntimeError):
    """The run could not be carried out; the message says why."""


def _die_with_parent() -> None:
    """Child-side hook: SIGTERM the child if this driver dies, even by SIGKILL."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Processes:
    """Every process this run started, each the leader of its own process group.

    ``stop_all`` ends them (and anything they spawned) however the run ends: it is called from
    ``finally`` on success, error, Ctrl-C or SIGTERM.
    """

    def __init__(self) -> None:
        self._started: list[asyncio.subprocess.Process] = []

    async def start(
        self,
        *command: str | Path,
        cwd: Path | None = None,
        stdout: int | IO[bytes] | None = None,
        stderr: int | IO[bytes] | None = None,
        stdin: int | None = None,
        env: dict[str, str] | None = None,
    ) -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(
            *command,
            cwd=cwd,
            env=env,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
            preexec_fn=_die_with_parent,
            limit=PIPE_LIMIT,
        )
        self._started.append(process)
        return process

    async def stop(self, process: asyncio.subprocess.Process) -> None:
        if process.returncode is None:
            _signal_group(process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                _signal_group(process.pid, signal.SIGKILL)
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
        _signal_group(process.pid, signal.SIGKILL)
        if process in self._started:
            self._started.remove(process)

    async def stop_all(self) -> None:
        for process in list(self._started):
            await self.stop(process)


def _signal_group(pid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU seconds of the live processes in process group ``pgid``, from /proc."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def machine_cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def installed_covisor_command() -> list[str]:
    """The ``covisor`` console script of this interpreter's environment."""
    script = Path(sys.executable).with_name("covisor")
    if script.exists():
        return [str(script)]
    found = shutil.which("covisor")
    if found is None:
        raise BenchError("the covisor command is not installed (pip install -e .)")
    return [found]


def ensure_baseline_installed() -> None:
    """``npm ci`` in bench/baseline unless its node_modules already has socket.io and its
    Redis adapter."""
    modules = BASELINE_DIR / "node_modules"
    if all(
        (modules / name / "package.json").exists()
        for name in ("socket.io", "@socket.io/redis-adapter")
    ):
        return
    print("installing the baseline (npm ci in bench/baseline)...", file=sys.stderr)
    done = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"],
        cwd=BASELINE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise BenchError(f"npm ci failed:\n{done.stderr[-2000:]}")


async def _wait_healthy(url: str, process: asyncio.subprocess.Process, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                break
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with http.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise BenchError(f"server at {url} did not become healthy; log tail:\n{log_tail(log)}")


async def _wait_logged(log: Path, line: bytes, process: asyncio.subprocess.Process) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline and process.returncode is None:
        if line in log.read_bytes():
            return
        await asyncio.sleep(0.1)
    raise BenchError(f"the server never printed {line!r}; log tail:\n{log_tail(log)}")


def log_tail(path: Path, size: int = 3000) -> str:
    """The end of a log file, for error messages."""
    with contextlib.suppress(OSError):
        return path.read_text(errors="replace")[-size:]
    return "(no log)"


async def _run_checked(command: Sequence[str], timeout: float) -> str:
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    if process.returncode != 0:
        raise BenchError(f"{' '.join(command)} failed: {err.decode(errors='replace')[-2000:]}")
    return out.decode()


async def _http_json(
    http: aiohttp.ClientSession,
    path: str,
    expect: int,
    token: str | None = None,
    body: object = None,
) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.post(path, json=body, headers=headers) as response:
        payload = await response.json(content_type=None)
        if response.status != expect:
            raise BenchError(f"POST {path}: HTTP {response.status} {payload}")
        return dict(payload)


async def covisor_conversations(
    url: str, data_dir: Path, n: int, covisor: Sequence[str]
) -> tuple[list[ConversationPlan], str]:
    """Open ``n`` conversations as anonymous customers, accepted by one agent ``bench``, who
    adds a catalogue item to show; returns the plans and the item's id."""
    added = await _run_checked(
        [*covisor, "agents", "add", "bench", "--data-dir", str(data_dir)], timeout=60
    )
    agent_token = added.strip().splitlines()[-1].strip()
    limit = asyncio.Semaphore(HTTP_CONCURRENCY)

    async def open_one(number: int) -> ConversationPlan:
        async with limit:
            created = await _http_json(
                http, "/api/conversations", 201, body={"name": f"bench {number}"}
            )
            conversation_id, customer_token = str(created["id"]), str(created["token"])
            # One agent holds them all, far past any capacity: said so.
            await _http_json(
                http,
                f"/api/conversations/{conversation_id}/accept",
                200,
                body={"override": True},
                token=agent_token,
            )
            return ConversationPlan(conversation_id, customer_token, agent_token)

    async with aiohttp.ClientSession(base_url=url, timeout=aiohttp.ClientTimeout(total=30)) as http:
        plans = list(await asyncio.gather(*(open_one(i) for i in range(n))))
        form = aiohttp.FormData()
        form.add_field("file", _picture(), filename="bench.png", content_type="image/png")
        form.add_field("title", "Bench picture")
        headers = {"Authorization": f"Bearer {agent_token}"}
        async with http.post("/api/catalogue", data=form, headers=headers) as response:
            if response.status != 201:
                raise BenchError(f"POST /api/catalogue: HTTP {response.status}")
            item = await response.json()
        return plans, str(item["id"])


def _picture() -> bytes:
    """A small PNG for the viewer to show while the clients draw on it."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 120, 40)).save(out, "PNG")
    return out.getvalue()


def baseline_conversations(n: int) -> list[ConversationPlan]:
    return [ConversationPlan(f"c_bench_{i:05d}", f"customer-{i}", "agent-bench") for i in range(n)]


@dataclass
class Server:
    """A started server and the conversations opened on it for the clients."""

    process: asyncio.subprocess.Process
    url: str
    conversations: list[ConversationPlan]
    shown: str
    """The `media_id` the viewers show (the baseline relays it without looking)."""


BENCH_ENV = {
    "COVISOR_CONVERSATIONS_PER_ADDRESS": "1000000",
    "COVISOR_PIN_ISSUES_PER_CLIENT": "1000000",
    "COVISOR_UPLOADS_PER_CONVERSATION": "1000000",
}


async def start_server(
    target: str,
    n: int,
    processes: Processes,
    scratch: Path,
    covisor: Sequence[str],
    server_workers: int = 1,
    redis: str | None = None,
) -> Server:
    """Start a fresh ``target`` server on a free loopback port and open ``n`` conversations;
    ``covisor`` is the command that runs Covisor's CLI, as ``server_workers`` processes
    (``covisor serve --workers``, on ``redis``) when above 1."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    listen = ["--host", "127.0.0.1", "--port", str(port)]
    data_dir = scratch / f"data-{n}"
    command: list[str]
    if target == "covisor":
        data_dir.mkdir()
        command, cwd = [*covisor, "serve", *listen, "--data-dir", str(data_dir)], None
        if server_workers > 1:
            command += ["--workers", str(server_workers), "--redis-url", str(redis)]
    else:
        command, cwd = ["node", "server.js", *listen], BASELINE_DIR
        if server_workers > 1:
            command += ["--workers", str(server_workers), "--redis", str(redis)]
    log = scratch / f"{target}-{server_workers}-{n}.log"
    # One client address opens every conversation and PIN of the run: lift those quotas.
    env = {**os.environ, **BENCH_ENV} if target == "covisor" else None
    if env is not None and server_workers > 1:
        env["COVISOR_REDIS_CHANNEL"] = f"covisor-bench-{os.getpid()}-{port}"
    with log.open("wb") as sink:
        process = await processes.start(
            *command, cwd=cwd, stdout=sink, stderr=subprocess.STDOUT, env=env
        )
    await _wait_healthy(url, process, log)
    if server_workers > 1 and target == "covisor":
        # /healthz answers once the first worker does; the line says all of them listen.
        await _wait_logged(log, b"Covisor listening on ", process)
    if target == "covisor":
        plans, shown = await covisor_conversations(url, data_dir, n, covisor)
        return Server(process, url, plans, shown)
    return Server(process, url, baseline_conversations(n), "bench-picture")
