"""Relay benchmark: Covisor's Socket.IO relay of annotation strokes next to a bare socket.io relay.

For every N it starts a fresh server, opens N conversations (one drawer streaming stroke points
at 60 Hz in 30 Hz batches, one viewer), drives them from ``--workers`` client processes
(bench/relay_clients.py) and reports what the viewers received: relayed events per second over
the measurement window after the warm-up, and p50/p99 of the drawer-to-viewer latency. The same
load is then run against bench/baseline/server.js (Node.js, socket.io from npm, relay only), so
each figure stands next to its baseline. Covisor and baseline runs alternate per N so both see
the same background load on a shared machine.

With ``--server-workers 1,2 --redis URL`` each target runs once per count of server processes
(``covisor serve --workers K``; the baseline as K node:cluster processes with socket.io's Redis
adapter; ``--workers`` stays the count of client processes) and the report ends with each
count's relayed events per second and summed CPU per event over the first count's.

Usage: python bench/relay.py [--n 10,100,300] [--seconds 10] [--warmup 3] [--workers 2]
                             [--server-workers 1[,2]] [--redis URL] [--client-nice 10]
                             [--only covisor|baseline] [--json results.json]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import math
import os
import shlex
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import msgspec
from relay_clients import (
    DRAIN_SECONDS,
    ConversationPlan,
    WorkerPlan,
    WorkerResult,
    percentile,
)
from relay_servers import (
    BenchError,
    Processes,
    Server,
    ensure_baseline_installed,
    group_cpu_seconds,
    installed_covisor_command,
    log_tail,
    machine_cpu_ticks,
    start_server,
)

CLIENTS_SCRIPT = Path(__file__).resolve().with_name("relay_clients.py")
TARGETS = ("covisor", "baseline")


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
    server_workers: int = 1
    """Covisor server processes (`covisor serve --workers`); 1 for the baseline."""

    @property
    def server_cpu_us_per_event(self) -> float:
        """Server CPU per relayed event: the capacity cost, comparable even below saturation."""
        if not self.relayed_per_second:
            return math.nan
        return self.server_cpu_percent / 100 / self.relayed_per_second * 1e6


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
        try:
            message = msgspec.json.decode(line) if line.endswith(b"\n") else {"error": "exited"}
        except msgspec.DecodeError:
            message = {"error": f"unreadable reply {line[:200]!r}"}
        if "error" in message:
            raise BenchError(f"client worker failed: {message['error']}\n{log_tail(self.log)}")
        return dict(message)


def _split(items: list[ConversationPlan], parts: int) -> list[list[ConversationPlan]]:
    return [chunk for chunk in (items[i::parts] for i in range(parts)) if chunk]


async def drive(
    server: Server, args: argparse.Namespace, target: str, processes: Processes, scratch: Path
) -> RunResult:
    """Run the clients against a started server and sum up what they measured."""
    n = len(server.conversations)
    setup_timeout = 60 + 0.2 * n
    workers: list[Worker] = []
    for index, share in enumerate(_split(server.conversations, args.workers)):
        log = scratch / f"{target}-{n}-worker{index}.log"
        with log.open("wb") as sink:
            process = await processes.start(
                *(["nice", "-n", str(args.client_nice)] if args.client_nice else []),
                sys.executable,
                CLIENTS_SCRIPT,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=sink,
            )
        worker = Worker(process, log)
        workers.append(worker)
        await worker.say(
            WorkerPlan(
                url=server.url,
                conversations=share,
                warmup=args.warmup,
                seconds=args.seconds,
                setup_timeout=setup_timeout,
                media={"media_id": server.shown},
            )
        )
    await asyncio.gather(*(worker.hear(setup_timeout + 5) for worker in workers))
    start_at = time.monotonic() + 0.5
    await asyncio.gather(*(worker.say({"start_at": start_at}) for worker in workers))
    results_pending = [
        asyncio.create_task(w.hear(args.warmup + args.seconds + 60)) for w in workers
    ]
    try:
        await asyncio.sleep(max(0.0, start_at + args.warmup - time.monotonic()))
        server_cpu, machine = group_cpu_seconds(server.process.pid), machine_cpu_ticks()
        await asyncio.sleep(max(0.0, start_at + args.warmup + args.seconds - time.monotonic()))
        server_cpu = group_cpu_seconds(server.process.pid) - server_cpu
        busy, total = (
            now - before for now, before in zip(machine_cpu_ticks(), machine, strict=True)
        )
        replies = await asyncio.gather(*results_pending)
    finally:
        for task in results_pending:
            task.cancel()
    results = [msgspec.convert(reply, WorkerResult) for reply in replies]
    return summarise(
        target,
        n,
        results,
        server_cpu / args.seconds * 100,
        busy / max(total, 1) * 100 * (os.cpu_count() or 1),
    )


def summarise(
    target: str,
    n: int,
    results: list[WorkerResult],
    server_cpu_percent: float,
    machine_busy_percent: float,
) -> RunResult:
    latencies = [value for result in results for value in result.latencies_ms]
    window = results[0].window_seconds
    errors: Counter[str] = Counter()
    for result in results:
        errors.update(result.ack_errors)
    return RunResult(
        target=target,
        n=n,
        relayed_per_second=sum(r.received_in_window for r in results) / window,
        offered_per_second=sum(r.sent_in_window for r in results) / window,
        p50_ms=percentile(latencies, 0.50),
        p99_ms=percentile(latencies, 0.99),
        lost=sum(r.lost for r in results),
        mismatched=sum(r.mismatched for r in results),
        ack_errors=dict(errors),
        unacked=sum(r.unacked for r in results),
        disconnects=sum(r.disconnects for r in results),
        server_cpu_percent=server_cpu_percent,
        worker_cpu_percent=max(r.cpu_seconds for r in results) / window * 100,
        machine_busy_percent=machine_busy_percent,
        loop_lag_p99_ms=max(r.loop_lag_p99_ms for r in results),
    )


async def run_one(
    target: str, n: int, args: argparse.Namespace, processes: Processes, server_workers: int = 1
) -> RunResult:
    with tempfile.TemporaryDirectory(prefix=f"relay-{target}-") as scratch_name:
        scratch = Path(scratch_name)
        server = await start_server(
            target, n, processes, scratch, args.covisor_command, server_workers, args.redis
        )
        try:
            result = await drive(server, args, target, processes, scratch)
        finally:
            await processes.stop_all()
    return dataclasses.replace(result, server_workers=server_workers)


def _cell(value: float, digits: int = 1) -> str:
    return "—" if math.isnan(value) else f"{value:,.{digits}f}"


def comparison_table(results: list[RunResult], ns: list[int]) -> str:
    """The headline table: one row per N, Covisor and baseline side by side."""
    by_key = {(r.target, r.n): r for r in results}
    lines = [
        "| N | covisor ev/s | covisor p50 | covisor p99 | baseline ev/s | baseline p50 "
        "| baseline p99 | throughput ratio |",
        "|---:" * 8 + "|",
    ]
    nan = math.nan
    for n in ns:
        cells = [str(n)]
        for target in TARGETS:
            run = by_key.get((target, n))
            cells += [
                _cell(run.relayed_per_second if run else nan, 0),
                f"{_cell(run.p50_ms if run else nan)} ms",
                f"{_cell(run.p99_ms if run else nan)} ms",
            ]
        covisor, baseline = by_key.get(("covisor", n)), by_key.get(("baseline", n))
        ratio = (
            covisor.relayed_per_second / baseline.relayed_per_second
            if covisor and baseline and baseline.relayed_per_second
            else nan
        )
        cells.append(f"{_cell(ratio, 2)}x")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def detail_table(results: list[RunResult]) -> str:
    """Everything needed to trust (or distrust) the headline numbers."""
    lines = [
        "| run | N | offered ev/s | relayed ev/s | lost | mismatched | ack errors | unacked "
        "| disconnects | server CPU | server CPU per event | busiest client worker CPU "
        "| machine busy | client loop lag p99 |",
        "|---" * 2 + "|---:" * 12 + "|",
    ]
    for r in results:
        errors = ", ".join(f"{code} {count}" for code, count in r.ack_errors.items()) or "0"
        run = f"{r.target} ×{r.server_workers}" if r.server_workers > 1 else r.target
        lines.append(
            f"| {run} | {r.n} | {_cell(r.offered_per_second, 0)} "
            f"| {_cell(r.relayed_per_second, 0)} | {r.lost} | {r.mismatched} | {errors} "
            f"| {r.unacked} | {r.disconnects} | {_cell(r.server_cpu_percent, 0)} % "
            f"| {_cell(r.server_cpu_us_per_event, 0)} µs "
            f"| {_cell(r.worker_cpu_percent, 0)} % | {_cell(r.machine_busy_percent, 0)} % "
            f"| {_cell(r.loop_lag_p99_ms)} ms |"
        )
    return "\n".join(lines)


def workers_table(results: list[RunResult], ns: list[int], counts: list[int]) -> str:
    """Each target with each count of server processes against its first count: relayed
    events per second and the CPU per relayed event summed over its processes (the issue's
    two-node targets: at least 1.6x the events, at most 1.3x the CPU per event)."""
    by_key = {(r.target, r.server_workers, r.n): r for r in results}
    first = counts[0]
    lines = [
        "| N | target | workers | relayed ev/s | over " + str(first) + " | CPU per event "
        "| over " + str(first) + " |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    nan = math.nan
    for n in ns:
        for target in TARGETS:
            base = by_key.get((target, first, n))
            for k in counts:
                run = by_key.get((target, k, n))
                if run is None:
                    continue
                rate = run.relayed_per_second / base.relayed_per_second if base else nan
                cpu = (
                    run.server_cpu_us_per_event / base.server_cpu_us_per_event
                    if base and base.server_cpu_us_per_event
                    else nan
                )
                lines.append(
                    f"| {n} | {target} | {k} | {_cell(run.relayed_per_second, 0)} "
                    f"| {_cell(rate, 2)}x | {_cell(run.server_cpu_us_per_event, 0)} µs "
                    f"| {_cell(cpu, 2)}x |"
                )
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
            lines.append(
                f"throughput >= 0.8x baseline at N={n}: "
                f"{'PASS' if ratio >= 0.8 else 'FAIL'} ({ratio:.2f}x)"
            )
    return lines


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", default="10,100,300", help="conversation counts, comma separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="measurement window")
    parser.add_argument("--warmup", type=float, default=3.0, help="drawing before the window")
    parser.add_argument("--workers", type=int, default=2, help="client processes")
    parser.add_argument(
        "--server-workers",
        default="1",
        help="Covisor server processes (covisor serve --workers), comma separated: 1,2",
    )
    parser.add_argument("--redis", help="Redis URL for the server workers (needed above 1)")
    parser.add_argument(
        "--client-nice",
        type=int,
        default=0,
        help="run the client processes at this niceness (e.g. 10), so that on a machine with "
        "few cores the server under test, Covisor or the baseline alike, gets the CPU it asks for",
    )
    parser.add_argument("--only", choices=TARGETS, help="run one target only")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--covisor-command",
        type=shlex.split,
        help="how to run Covisor's CLI, e.g. under a profiler (default: the installed covisor)",
    )
    args = parser.parse_args(argv)
    args.ns = [int(part) for part in args.n.split(",") if part.strip()]
    if not args.ns or min(args.ns) < 1 or args.workers < 1 or args.seconds <= 0 or args.warmup < 0:
        parser.error("--n needs positive counts; --workers, --seconds must be positive")
    args.server_counts = [int(part) for part in args.server_workers.split(",") if part.strip()]
    if not args.server_counts or min(args.server_counts) < 1:
        parser.error("--server-workers needs positive counts")
    if max(args.server_counts) > 1 and not args.redis:
        parser.error("--server-workers above 1 needs --redis URL")
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
                for count in args.server_counts:
                    servers = f" ({count} server workers)" if count > 1 else ""
                    report(
                        f"{target}{servers}: N={n}, {args.warmup:g} s warm-up + "
                        f"{args.seconds:g} s window, {args.workers} client workers..."
                    )
                    results.append(await run_one(target, n, args, processes, count))
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
        if args.only != "baseline" and args.covisor_command is None:
            args.covisor_command = installed_covisor_command()
        results = asyncio.run(run(args, report))
    except BenchError as error:
        report(f"relay bench failed: {error}")
        return 1
    except (KeyboardInterrupt, asyncio.CancelledError):
        report("interrupted; servers and clients stopped")
        return 130
    # The baseline comparison and the verdicts are of the first count of server workers.
    first = [r for r in results if r.server_workers == args.server_counts[0]]
    print(comparison_table(first, args.ns))
    print()
    print(detail_table(results))
    print()
    for verdict in verdicts(first):
        print(verdict)
    if len(args.server_counts) > 1:
        print()
        print(workers_table(results, args.ns, args.server_counts))
    print(f"(drain after the window: up to {DRAIN_SECONDS:g} s; CPU % is of one core)")
    if args.json:
        args.json.write_text(msgspec.json.encode([asdict(r) for r in results]).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
