"""`covisor serve --workers N`: a supervisor, N processes on one port, one server's metrics."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from covisor.app.announce import READY
from covisor.app.supervisor import Supervisor
from covisor.config import Config
from tests.conftest import Peer, ServerProcess, agent_token_for, open_accepted

WAIT = 30.0


async def test_several_workers_without_redis_exit_2(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "covisor",
        "serve",
        "--workers",
        "2",
        "--port",
        "0",
        "--data-dir",
        str(tmp_path / "data"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={k: v for k, v in os.environ.items() if k != "COVISOR_REDIS_URL"},
    )
    out, err = await asyncio.wait_for(process.communicate(), WAIT)
    assert process.returncode == 2
    assert b"listening" not in out
    assert b"workers = 2: several worker processes need redis_url" in err


def children(pid: int) -> set[int]:
    """The processes `pid` started (Linux's /proc); a thread that ends while it is read has
    none."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            found.update(int(child) for child in (task / "children").read_text().split())
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(http: aiohttp.ClientSession, url: str) -> Samples:
    async with http.get(url + "/metrics") as response:
        assert response.status == 200
        text = await response.text()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def connections_by_pid(samples: Samples) -> dict[int, float]:
    by_pid: dict[int, float] = {}
    for (name, labels), count in samples.items():
        if name == "covisor_connections":
            pid = int(dict(labels)["pid"])
            by_pid[pid] = by_pid.get(pid, 0.0) + count
    return by_pid


def chats(samples: Samples) -> float:
    labels = frozenset({("event", "chat.send"), ("outcome", "ok")})
    return samples.get(("covisor_events_total", labels), 0.0)


@pytest.fixture
async def cluster(tmp_path: Path, redis: str) -> AsyncIterator[ServerProcess]:
    """`covisor serve --workers 2` on Redis; every process it started is killed at the end."""
    env = {"COVISOR_REDIS_CHANNEL": f"covisor-test-{uuid.uuid4().hex}"}
    server = await ServerProcess(
        tmp_path / "data", "--workers", "2", "--redis-url", redis, env=env
    ).start()
    assert server.process is not None
    try:
        yield server
    finally:
        # The workers share the supervisor's output pipe: waiting for it ends with them. Frozen
        # first, the supervisor restarts nothing while they are killed.
        supervisor = server.process.pid
        if alive(supervisor):
            os.kill(supervisor, signal.SIGSTOP)
            for pid in children(supervisor):
                os.kill(pid, signal.SIGKILL)
        await server.kill()


async def landed(http: aiohttp.ClientSession, url: str, before: dict[int, float]) -> int:
    """The worker whose connection count grew since `before`."""
    for _ in range(100):
        now = connections_by_pid(await scrape(http, url))
        grown = [pid for pid, count in now.items() if count > before.get(pid, 0.0)]
        if grown:
            return grown[0]
        await asyncio.sleep(0.05)
    raise AssertionError("no worker counted the new connection")


@pytest.mark.redis
async def test_two_workers_serve_one_conversation_survive_a_kill_and_stop(
    cluster: ServerProcess, tmp_path: Path
) -> None:
    assert cluster.process is not None
    supervisor = cluster.process.pid
    workers = children(supervisor)
    assert len(workers) == 2
    url = cluster.url
    agent_token = await agent_token_for(tmp_path / "data")
    opened = await open_accepted(url, agent_token)
    cid = opened["id"]
    placed: list[tuple[int, Peer]] = []
    # A connection per request (no keep-alive), so each one lands on a live worker.
    connector = aiohttp.TCPConnector(force_close=True)
    timeout = aiohttp.ClientTimeout(total=WAIT)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        try:
            # The kernel spreads connections by a hash: connect until an agent socket and a
            # shopper socket of the conversation landed on different workers.
            pair: tuple[Peer, Peer] | None = None
            for attempt in range(40):
                token = agent_token if attempt % 2 == 0 else opened["token"]
                before = connections_by_pid(await scrape(http, url))
                peer = await Peer(url, token).connect()
                placed.append((await landed(http, url, before), peer))
                pair = next(
                    (
                        (a, c)
                        for pa, a in placed
                        if a.token == agent_token
                        for pc, c in placed
                        if c.token != agent_token and pc != pa
                    ),
                    None,
                )
                if pair is not None:
                    break
            assert pair is not None, "the two workers did not both take connections"
            assert {pid for pid, _ in placed} == workers
            agent, customer = pair
            await agent.ok("join", {"conversation_id": cid})
            await customer.ok("join", {"conversation_id": cid})
            counted = chats(await scrape(http, url))
            said = await customer.ok("chat.send", {"conversation_id": cid, "text": "hello"})
            answered = await agent.ok("chat.send", {"conversation_id": cid, "text": "hi"})
            await agent.wait_seq(said["seq"])
            await customer.wait_seq(answered["seq"])
            assert [e["data"]["text"] for e in agent.of_type("chat.message")] == ["hello", "hi"]
            assert chats(await scrape(http, url)) == counted + 2, "one worker's chat not counted"

            # A worker killed as in a crash is restarted; the service keeps answering.
            victim = next(iter(workers))
            os.kill(victim, signal.SIGKILL)
            async with http.get(url + "/healthz") as response:
                assert response.status == 200
            for _ in range(int(WAIT / 0.1)):
                now = children(supervisor)
                if victim not in now and len(now) == 2:
                    break
                await asyncio.sleep(0.1)
            restarted = children(supervisor)
            assert victim not in restarted and len(restarted) == 2
            for _ in range(int(WAIT / 0.1)):
                async with http.get(url + "/readyz") as response:
                    if response.status == 200:
                        by_pid = connections_by_pid(await scrape(http, url))
                        if victim not in by_pid:
                            break
                await asyncio.sleep(0.1)
            assert victim not in connections_by_pid(await scrape(http, url))
            assert chats(await scrape(http, url)) == counted + 2, "a dead worker's counts stay"
        finally:
            for _, peer in placed:
                await peer.close()

    # SIGTERM: every worker drains and ends, then the supervisor, with 0.
    cluster.process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(cluster.process.wait(), WAIT) == 0
    assert not any(alive(pid) for pid in restarted)


class Scripted(Supervisor):
    """A supervisor whose workers run `script` instead of a server; counts their starts."""

    def __init__(self, script: str, metrics_dir: Path) -> None:
        super().__init__(
            Config(workers=1), ["serve"], backoff=0.05, max_backoff=0.4, stable_after=10
        )
        self._metrics_dir = str(metrics_dir)
        self.script = script
        self.starts = 0

    def _command(self, index: int) -> list[str]:
        self.starts += 1
        return [sys.executable, "-c", self.script]


async def test_a_worker_dying_at_start_is_restarted_with_a_growing_wait(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    supervisor = Scripted(f"print({READY!r}, flush=True); raise SystemExit(3)", tmp_path)
    up: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    keeper = asyncio.create_task(supervisor._keep(0, up))
    await asyncio.sleep(1.5)
    # On a busy machine one start of a Python process can take most of that: wait for the third.
    deadline = asyncio.get_running_loop().time() + WAIT
    while supervisor.starts < 3 and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    supervisor._stop.set()
    await asyncio.wait_for(keeper, WAIT)
    assert up.result() is True
    # Waits of 0.1, 0.2, 0.4, 0.4 … s: a handful of starts, not a tight loop of dozens.
    assert 3 <= supervisor.starts <= 7
    assert "worker 0 (pid" in caplog.text and "ended with 3; restarting it in 0.4 s" in caplog.text


async def test_a_worker_that_never_listens_is_not_restarted(tmp_path: Path) -> None:
    supervisor = Scripted("raise SystemExit(3)", tmp_path)
    up: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    await asyncio.wait_for(supervisor._keep(0, up), WAIT)
    assert up.result() is False and supervisor.starts == 1


async def test_a_restarted_worker_that_cannot_listen_stops_everything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Status 2 (cannot listen, bad configuration) would come back at every restart: the
    supervisor says so and stops rather than restarting the worker forever."""
    marker = tmp_path / "started"
    script = (
        "import pathlib, sys\n"
        f"marker = pathlib.Path({str(marker)!r})\n"
        "if marker.exists():\n"
        "    sys.exit(2)\n"
        "marker.touch()\n"
        f"print({READY!r}, flush=True)\n"
        "sys.exit(3)\n"
    )
    supervisor = Scripted(script, tmp_path)
    up: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    await asyncio.wait_for(supervisor._keep(0, up), WAIT)
    assert up.result() is True and supervisor.starts == 2
    assert supervisor.gave_up and supervisor._stop.is_set()
    assert "worker 0 ended with status 2 before it listened" in capsys.readouterr().err
