"""`covisor serve --workers N`: one supervisor process keeping N server processes on one port.

Each worker is `python -m covisor serve …` as given, plus a hidden `--worker-index I`: today's
single-process server, listening with `SO_REUSEPORT` on the same `host:port` (the kernel spreads
new connections over the workers), sharing the store and Redis like any cluster. The supervisor:

- picks the port when `--port 0` (a bound, not listening socket holds it until the end, so a
  restarted worker gets the same one) and prints `Covisor listening on URL` once, when every
  worker listens; the workers' other output is passed through;
- starts worker 0 first, alone: it alone seeds the demo agent and catalogue (the others get
  `--no-seed-demo`), and its start-up recovery (uploads a killed process left, their files) is
  done before its siblings start, so they find nothing to recover;
- gives the workers one `PROMETHEUS_MULTIPROC_DIR` (kernel/metrics.py): the operator's when it
  is set (emptied at start), else a fresh temporary directory removed at the end;
- restarts a worker that ends, after `backoff` seconds, doubled for each death within
  `stable_after` seconds of its start, up to `max_backoff`; a worker ending before the server
  ever listened (a port in use, a store that does not open) stops everything with exit 1, and
  so does a restarted worker that ends with status 2 before it listens (it cannot listen, or
  refuses its configuration: starting it again would fail again, forever);
- with `--port 0`, exits 2 when the address cannot be bound (an unresolvable host);
- on SIGINT or SIGTERM sends SIGTERM to every worker (each drains as one process does) and
  returns 0 once they ended, SIGKILLing any still there `drain_timeout + margin` seconds later;
  a supervisor killed outright takes its workers along (Linux: they get SIGTERM).
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from prometheus_client.multiprocess import mark_process_dead

from covisor.app.announce import READY, cannot_listen, print_listening
from covisor.config import Config
from covisor.kernel.metrics import MULTIPROC_DIR

log = logging.getLogger(__name__)


class Supervisor:
    """Run `config.workers` workers of `covisor serve` with `argv` (from `serve` on)."""

    def __init__(
        self,
        config: Config,
        argv: Sequence[str],
        *,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        stable_after: float = 10.0,
        margin: float = 5.0,
    ) -> None:
        self._config = config
        self._argv = list(argv)
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._stable_after = stable_after
        self._margin = margin
        self._stop = asyncio.Event()
        self._port = config.port
        self._metrics_dir = ""
        self._relays: set[asyncio.Task[None]] = set()
        self.gave_up = False
        """Whether a worker that cannot start stopped everything."""

    async def run(self) -> int:
        """Serve until SIGINT or SIGTERM; 0 after a clean stop, 1 when a worker cannot start."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self._stop.set)
        try:
            holder = self._hold_port()
        except OSError as refusal:
            print(cannot_listen(self._config.host, self._port, refusal), file=sys.stderr)
            return 2
        own_dir = self._open_metrics_dir()
        keepers: list[asyncio.Task[None]] = []
        try:
            ups: list[asyncio.Future[bool]] = []
            for index in range(self._config.workers):
                up: asyncio.Future[bool] = loop.create_future()
                ups.append(up)
                keepers.append(asyncio.create_task(self._keep(index, up)))
                if index == 0 and not await self._all_up(ups[:1]):
                    return self._start_failed()
            if not await self._all_up(ups):
                return self._start_failed()
            print_listening(self._config.host, self._port)
            await self._stop.wait()
            print("Covisor is stopping", flush=True)
            return 1 if self.gave_up else 0
        finally:
            self._stop.set()
            # One keeper failing must not leave its siblings' workers behind.
            for failed in await asyncio.gather(*keepers, return_exceptions=True):
                if isinstance(failed, BaseException):
                    log.error("a worker keeper failed: %r", failed)
            await asyncio.gather(*self._relays, return_exceptions=True)
            if holder is not None:
                holder.close()
            if own_dir:
                shutil.rmtree(self._metrics_dir, ignore_errors=True)

    def _start_failed(self) -> int:
        if self._stop.is_set():
            return 0
        print("covisor: a worker ended before the server listened; stopping", file=sys.stderr)
        return 1

    async def _all_up(self, ups: list[asyncio.Future[bool]]) -> bool:
        """Whether every one of `ups` listens; False as soon as one cannot, or on a stop."""
        stopping = asyncio.ensure_future(self._stop.wait())
        pending: set[asyncio.Future[Any]] = {stopping, *ups}
        try:
            while any(not up.done() for up in ups):
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                if stopping in done or any(not f.result() for f in done if f is not stopping):
                    return False
            return all(up.result() for up in ups)
        finally:
            stopping.cancel()

    def _hold_port(self) -> socket.socket | None:
        """With `--port 0`, bind a port for the workers and keep it for the whole run."""
        if self._port != 0:
            return None
        family, kind, proto, _, address = socket.getaddrinfo(
            self._config.host, 0, type=socket.SOCK_STREAM
        )[0]
        holder = socket.socket(family, kind, proto)
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        holder.bind(address)
        self._port = holder.getsockname()[1]
        return holder

    def _open_metrics_dir(self) -> bool:
        """Set up the workers' metrics directory; True when it is ours to remove."""
        given = os.environ.get(MULTIPROC_DIR)
        if given:
            self._metrics_dir = given
            Path(given).mkdir(parents=True, exist_ok=True)
            for stale in Path(given).glob("*.db"):
                stale.unlink()
            return False
        self._metrics_dir = tempfile.mkdtemp(prefix="covisor-metrics-")
        return True

    def _command(self, index: int) -> list[str]:
        # argparse keeps the last of a repeated flag: these beat what the operator gave.
        extra = ["--port", str(self._port), "--worker-index", str(index)]
        if index > 0:
            extra.append("--no-seed-demo")
        return [sys.executable, "-m", "covisor", *self._argv, *extra]

    async def _spawn(self, index: int) -> tuple[asyncio.subprocess.Process, asyncio.Event]:
        process = await asyncio.create_subprocess_exec(
            *self._command(index),
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, MULTIPROC_DIR: self._metrics_dir},
            preexec_fn=_end_with_parent if sys.platform == "linux" else None,
        )
        ready = asyncio.Event()
        relay = asyncio.create_task(self._relay(process, ready))
        self._relays.add(relay)
        relay.add_done_callback(self._relays.discard)
        return process, ready

    async def _relay(self, process: asyncio.subprocess.Process, ready: asyncio.Event) -> None:
        assert process.stdout is not None
        async for raw in process.stdout:
            line = raw.decode(errors="replace")
            if line.strip() == READY:
                ready.set()
            else:
                sys.stdout.write(line)
                sys.stdout.flush()

    async def _keep(self, index: int, up: asyncio.Future[bool]) -> None:
        """Keep worker `index` running until the stop; `up` tells whether it first listened."""
        loop = asyncio.get_running_loop()
        deaths = 0
        while not self._stop.is_set():
            process, ready = await self._spawn(index)
            began = loop.time()
            exited = asyncio.ensure_future(process.wait())
            stopping = asyncio.ensure_future(self._stop.wait())
            listening = asyncio.ensure_future(ready.wait())
            await asyncio.wait({exited, stopping, listening}, return_when=asyncio.FIRST_COMPLETED)
            listened = listening.done()
            if listened:
                log.info("worker %d (pid %d) listens", index, process.pid)
                if not up.done():
                    up.set_result(True)
                await asyncio.wait({exited, stopping}, return_when=asyncio.FIRST_COMPLETED)
            listening.cancel()
            if not exited.done():
                await self._end(process)
            stopping.cancel()
            code = await process.wait()
            mark_process_dead(process.pid, self._metrics_dir)  # type: ignore[no-untyped-call]
            if not up.done():
                up.set_result(False)
                return
            if self._stop.is_set():
                return
            if code == 2 and not listened:
                print(
                    f"covisor: worker {index} ended with status 2 before it listened "
                    "(see its error above) and would again; stopping",
                    file=sys.stderr,
                    flush=True,
                )
                self.gave_up = True
                self._stop.set()
                return
            deaths = deaths + 1 if loop.time() - began < self._stable_after else 0
            delay = min(self._backoff * 2**deaths, self._max_backoff)
            log.warning(
                "worker %d (pid %d) ended with %s; restarting it in %.1f s",
                index,
                process.pid,
                code,
                delay,
            )
            try:
                await asyncio.wait_for(self._stop.wait(), delay)
            except TimeoutError:
                pass

    async def _end(self, process: asyncio.subprocess.Process) -> None:
        """SIGTERM, the drain's time, then SIGKILL."""
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), self._config.drain_timeout + self._margin)
        except TimeoutError:
            log.warning("worker pid %d did not stop in time; killing it", process.pid)
            process.kill()


def _end_with_parent() -> None:
    """In a worker before it runs: SIGTERM it (a drain) if the supervisor dies, even by SIGKILL,
    rather than leave it serving unsupervised."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
