"""Relay benchmark: Covisor's Socket.IO relay of annotation strokes next to a bare socket.io relay.

For every N it starts a fresh server, opens N conversations (one drawer streaming stroke points
at 60 Hz in 30 Hz batches, one viewer), drives them from ``--workers`` client processes
(bench/relay_clients.py) and reports what the viewers received: relayed events per second over
the measurement window after the warm-up, and p50/p99 of the drawer-to-viewer latency. The same
load is then run against bench/baseline/server.js (Node.js, socket.io from npm, relay only), so
each figure stands next to its baseline. Covisor and baseline runs alternate per N so both see
the same background load on a shared machine.

Usage: python bench/relay.py [--n 10,100,300] [--seconds 10] [--warmup 3] [--workers 2]
                             [--only covisor|baseline] [--json results.json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import aiohttp
import msgspec

BENCH_DIR = Path(__file__).resolve().parent
BASELINE_DIR = BENCH_DIR / "baseline"
CLIENTS_SCRIPT = BENCH_DIR / "relay_clients.py"
SHOWN_MEDIA = {"id": "m1", "kind": "image", "src": "/media/demo.jpg"}
TARGETS = ("covisor", "baseline")
SERVER_START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0
PIPE_LIMIT = 64 * 1024 * 1024
HTTP_CONCURRENCY = 8
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PR_SET_PDEATHSIG = 1

sys.path.insert(0, str(BENCH_DIR))
from relay_clients import (  # noqa: E402
    DRAIN_SECONDS,
    ConversationPlan,
    WorkerPlan,
    WorkerResult,
)


@dataclass(frozen=True)
class RunResult:
    """One target at one N, summed over the workers."""

    target: str
    n: int
    relayed_per_second: float
    offered_per_second: float
    p50_ms: float
    p99_ms: float
    lost: int
    mismatched: int
    ack_errors: dict[str, int]
    unacked: int
    disconnects: int
    server_cpu_percent: float
    worker_cpu_percent: float
    machine_busy_percent: float
    loop_lag_p99_ms: float


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

    async def start(self, *command: str | Path, cwd: Path | None = None,
                    stdout: int | None = None, stderr: int | None = None,
                    stdin: int | None = None) -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(
            *command, cwd=cwd, stdin=stdin, stdout=stdout, stderr=stderr,
            start_new_session=True, preexec_fn=_die_with_parent, limit=PIPE_LIMIT,
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
        fields = stat[stat.rfind(")") + 2:].split()
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


def covisor_command() -> list[str]:
    script = Path(sys.executable).with_name("covisor")
    if script.exists():
        return [str(script)]
    found = shutil.which("covisor")
    if found is None:
        raise BenchError("the covisor command is not installed (pip install -e .)")
    return [found]


def ensure_baseline_installed() -> None:
    """``npm ci`` in bench/baseline unless its node_modules already has socket.io."""
    if (BASELINE_DIR / "node_modules" / "socket.io" / "package.json").exists():
        return
    print("installing the baseline (npm ci in bench/baseline)...", file=sys.stderr)
    done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=BASELINE_DIR,
                          capture_output=True, text=True, timeout=300)
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
    raise BenchError(f"server at {url} did not become healthy; log tail:\n{_tail(log)}")


def _tail(path: Path, size: int = 3000) -> str:
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


async def _http_json(http: aiohttp.ClientSession, path: str, expect: int,
                     token: str | None = None, body: object = None) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.post(path, json=body, headers=headers) as response:
        payload = await response.json(content_type=None)
        if response.status != expect:
            raise BenchError(f"POST {path}: HTTP {response.status} {payload}")
        return dict(payload)


async def covisor_conversations(url: str, data_dir: Path, n: int) -> list[ConversationPlan]:
    """Open ``n`` conversations as anonymous customers, accepted by one agent ``bench``."""
    added = await _run_checked([*covisor_command(), "agents", "add", "bench",
                                "--data-dir", str(data_dir)], timeout=60)
    agent_token = added.strip().splitlines()[-1].strip()
    limit = asyncio.Semaphore(HTTP_CONCURRENCY)

    async def open_one(number: int) -> ConversationPlan:
        async with limit:
            created = await _http_json(http, "/api/conversations", 201,
                                       body={"name": f"bench {number}"})
            conversation_id, customer_token = str(created["id"]), str(created["token"])
            await _http_json(http, f"/api/conversations/{conversation_id}/accept", 200,
                             token=agent_token)
            return ConversationPlan(conversation_id, customer_token, agent_token)

    async with aiohttp.ClientSession(base_url=url,
                                     timeout=aiohttp.ClientTimeout(total=30)) as http:
        return list(await asyncio.gather(*(open_one(i) for i in range(n))))


def baseline_conversations(n: int) -> list[ConversationPlan]:
    return [ConversationPlan(f"c_bench_{i:05d}", f"customer-{i}", "agent-bench") for i in range(n)]


@dataclass
class Server:
    process: asyncio.subprocess.Process
    url: str
    conversations: list[ConversationPlan]


async def start_server(target: str, n: int, processes: Processes, scratch: Path) -> Server:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = scratch / f"{target}-{n}.log"
    with log.open("wb") as sink:
        if target == "covisor":
            data_dir = scratch / f"data-{n}"
            data_dir.mkdir()
            command = [*covisor_command(), "serve", "--host", "127.0.0.1", "--port", str(port),
                       "--data-dir", str(data_dir)]
            process = await processes.start(*command, stdout=sink, stderr=subprocess.STDOUT)
        else:
            process = await processes.start("node", "server.js", "--host", "127.0.0.1",
                                            "--port", str(port), cwd=BASELINE_DIR,
                                            stdout=sink, stderr=subprocess.STDOUT)
    await _wait_healthy(url, process, log)
    if target == "covisor":
        conversations = await covisor_conversations(url, data_dir, n)
    else:
        conversations = baseline_conversations(n)
    return Server(process, url, conversations)


class Worker:
    """One bench/relay_clients.py process and its line-delimited JSON pipe."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self.process = process
        self.log = log

    async def say(self, message: object) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(msgspec.json.encode(message) + b"\n")
        await self.process.stdin.drain()

    async def hear(self, timeout: float) -> dict[str, object]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        message = msgspec.json.decode(line) if line.strip() else {"error": "exited"}
        if "error" in message:
            raise BenchError(f"client worker failed: {message['error']}\n{_tail(self.log)}")
        return dict(message)


def _split(items: list[ConversationPlan], parts: int) -> list[list[ConversationPlan]]:
    return [chunk for chunk in (items[i::parts] for i in range(parts)) if chunk]


async def drive(server: Server, args: argparse.Namespace, target: str, processes: Processes,
                scratch: Path) -> RunResult:
    """Run the clients against a started server and sum up what they measured."""
    n = len(server.conversations)
    setup_timeout = 60 + 0.2 * n
    workers: list[Worker] = []
    for index, share in enumerate(_split(server.conversations, args.workers)):
        log = scratch / f"{target}-{n}-worker{index}.log"
        with log.open("wb") as sink:
            process = await processes.start(
                sys.executable, CLIENTS_SCRIPT, stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE, stderr=sink)
        worker = Worker(process, log)
        workers.append(worker)
        await worker.say(WorkerPlan(url=server.url, conversations=share, warmup=args.warmup,
                                    seconds=args.seconds, setup_timeout=setup_timeout,
                                    media=SHOWN_MEDIA))
    await asyncio.gather(*(worker.hear(setup_timeout + 5) for worker in workers))
    start_at = time.monotonic() + 0.5
    await asyncio.gather(*(worker.say({"start_at": start_at}) for worker in workers))
    results_pending = [asyncio.create_task(w.hear(args.warmup + args.seconds + 60))
                       for w in workers]
    try:
        await asyncio.sleep(max(0.0, start_at + args.warmup - time.monotonic()))
        server_cpu, machine = group_cpu_seconds(server.process.pid), machine_cpu_ticks()
        await asyncio.sleep(max(0.0, start_at + args.warmup + args.seconds - time.monotonic()))
        server_cpu = group_cpu_seconds(server.process.pid) - server_cpu
        busy, total = (now - before for now, before in zip(machine_cpu_ticks(), machine))
        replies = await asyncio.gather(*results_pending)
    finally:
        for task in results_pending:
            task.cancel()
    results = [msgspec.convert(reply, WorkerResult) for reply in replies]
    return summarise(target, n, results, server_cpu / args.seconds * 100,
                     busy / max(total, 1) * 100 * (os.cpu_count() or 1))


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


def summarise(target: str, n: int, results: list[WorkerResult], server_cpu_percent: float,
              machine_busy_percent: float) -> RunResult:
    latencies = [value for result in results for value in result.latencies_ms]
    window = results[0].window_seconds
    errors: Counter[str] = Counter()
    for result in results:
        errors.update(result.ack_errors)
    return RunResult(
        target=target, n=n,
        relayed_per_second=sum(r.received_in_window for r in results) / window,
        offered_per_second=sum(r.sent_in_window for r in results) / window,
        p50_ms=percentile(latencies, 0.50), p99_ms=percentile(latencies, 0.99),
        lost=sum(r.lost for r in results), mismatched=sum(r.mismatched for r in results),
        ack_errors=dict(errors), unacked=sum(r.unacked for r in results),
        disconnects=sum(r.disconnects for r in results),
        server_cpu_percent=server_cpu_percent,
        worker_cpu_percent=max(r.cpu_seconds for r in results) / window * 100,
        machine_busy_percent=machine_busy_percent,
        loop_lag_p99_ms=max(r.loop_lag_p99_ms for r in results),
    )


async def run_one(target: str, n: int, args: argparse.Namespace, processes: Processes) -> RunResult:
    with tempfile.TemporaryDirectory(prefix=f"relay-{target}-") as scratch_name:
        scratch = Path(scratch_name)
        server = await start_server(target, n, processes, scratch)
        try:
            return await drive(server, args, target, processes, scratch)
        finally:
            await processes.stop_all()


def _cell(value: float, digits: int = 1) -> str:
    return "—" if math.isnan(value) else f"{value:,.{digits}f}"


def comparison_table(results: list[RunResult], ns: list[int]) -> str:
    """The headline table: one row per N, Covisor and baseline side by side."""
    by_key = {(r.target, r.n): r for r in results}
    lines = ["| N | covisor ev/s | covisor p50 | covisor p99 | baseline ev/s | baseline p50 "
             "| baseline p99 | throughput ratio |", "|---:" * 8 + "|"]
    nan = math.nan
    for n in ns:
        cells = [str(n)]
        for target in TARGETS:
            run = by_key.get((target, n))
            cells += [_cell(run.relayed_per_second if run else nan, 0),
                      f"{_cell(run.p50_ms if run else nan)} ms",
                      f"{_cell(run.p99_ms if run else nan)} ms"]
        covisor, baseline = by_key.get(("covisor", n)), by_key.get(("baseline", n))
        ratio = (covisor.relayed_per_second / baseline.relayed_per_second
                 if covisor and baseline and baseline.relayed_per_second else nan)
        cells.append(f"{_cell(ratio, 2)}x")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def detail_table(results: list[RunResult]) -> str:
    """Everything needed to trust (or distrust) the headline numbers."""
    lines = ["| run | N | offered ev/s | relayed ev/s | lost | mismatched | ack errors | unacked "
             "| disconnects | server CPU | busiest client worker CPU | machine busy | client "
             "loop lag p99 |", "|---" * 2 + "|---:" * 11 + "|"]
    for r in results:
        errors = ", ".join(f"{code} {count}" for code, count in r.ack_errors.items()) or "0"
        lines.append(
            f"| {r.target} | {r.n} | {_cell(r.offered_per_second, 0)} "
            f"| {_cell(r.relayed_per_second, 0)} | {r.lost} | {r.mismatched} | {errors} "
            f"| {r.unacked} | {r.disconnects} | {_cell(r.server_cpu_percent, 0)} % "
            f"| {_cell(r.worker_cpu_percent, 0)} % | {_cell(r.machine_busy_percent, 0)} % "
            f"| {_cell(r.loop_lag_p99_ms)} ms |")
    return "\n".join(lines)


def verdicts(results: list[RunResult]) -> list[str]:
    """The issue's targets: p99 < 25 ms at N = 100, throughput >= 0.8x baseline at every N."""
    by_key = {(r.target, r.n): r for r in results}
    lines = []
    at_100 = by_key.get(("covisor", 100))
    if at_100:
        verdict = "PASS" if at_100.p99_ms < 25 else "FAIL"
        lines.append(f"p99 < 25 ms at N=100: {verdict} ({_cell(at_100.p99_ms)} ms)")
    for (target, n), covisor in sorted(by_key.items()):
        baseline = by_key.get(("baseline", n))
        if target == "covisor" and baseline and baseline.relayed_per_second:
            ratio = covisor.relayed_per_second / baseline.relayed_per_second
            lines.append(f"throughput >= 0.8x baseline at N={n}: "
                         f"{'PASS' if ratio >= 0.8 else 'FAIL'} ({ratio:.2f}x)")
    return lines


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", default="10,100,300", help="conversation counts, comma separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="measurement window")
    parser.add_argument("--warmup", type=float, default=3.0, help="drawing before the window")
    parser.add_argument("--workers", type=int, default=2, help="client processes")
    parser.add_argument("--only", choices=TARGETS, help="run one target only")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    args.ns = [int(part) for part in args.n.split(",") if part.strip()]
    if not args.ns or min(args.ns) < 1 or args.workers < 1 or args.seconds <= 0 or args.warmup < 0:
        parser.error("--n needs positive counts; --workers, --seconds must be positive")
    return args


async def run(args: argparse.Namespace, report: Callable[[str], None]) -> list[RunResult]:
    processes = Processes()
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    targets = [args.only] if args.only else list(TARGETS)
    results: list[RunResult] = []
    try:
        for n in args.ns:
            for target in targets:
                report(f"{target}: N={n}, {args.warmup:g} s warm-up + {args.seconds:g} s "
                       f"window, {args.workers} client workers...")
                results.append(await run_one(target, n, args, processes))
    finally:
        await processes.stop_all()
    return results


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    def report(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:
        if args.only != "covisor":
            ensure_baseline_installed()
        results = asyncio.run(run(args, report))
    except BenchError as error:
        report(f"relay bench failed: {error}")
        return 1
    except (KeyboardInterrupt, asyncio.CancelledError):
        report("interrupted; servers and clients stopped")
        return 130
    print(comparison_table(results, args.ns))
    print()
    print(detail_table(results))
    print()
    print("\n".join(verdicts(results)))
    print(f"(drain after the window: up to {DRAIN_SECONDS:g} s; CPU % is of one core)")
    if args.json:
        args.json.write_text(msgspec.json.encode([asdict(r) for r in results]).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
