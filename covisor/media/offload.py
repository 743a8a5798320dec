"""Running CPU-heavy media work off the event loop, a bounded number at a time."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

log = logging.getLogger(__name__)

WORKER_MODULES = ("covisor.media.images", "covisor.media.videos")
"""Imported once by the fork server, so a new worker starts with Pillow and OpenCV loaded."""


def alive() -> bool:
    """A job that only answers: a worker that runs it is up (readiness checks)."""
    return True


class BoundedExecutor:
    """Runs functions in `executor`, at most `limit` at once; the rest wait their turn.

    The semaphore bounds work in flight from this process even when the executor is shared or
    unbounded, so a burst of uploads queues up here instead of piling decoded photos into
    memory. With a process pool the function and its arguments must be picklable.
    """

    def __init__(self, executor: Executor, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.executor = executor
        self._slots = asyncio.Semaphore(limit)

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`fn(*args, **kwargs)` in the executor; the event loop keeps serving meanwhile.

        Work in an executor cannot be stopped, so if the caller is cancelled this still waits
        for `fn` to finish before re-raising: the slot stays taken while the work runs, and the
        caller's clean-up (say, removing the directory `fn` writes into) runs after it.

        The job is handed over from a thread, not the event loop: a process pool's `submit`
        can block on starting a worker (the first one waits for the fork server to import
        Pillow and OpenCV, a few hundred ms), which must not stall every connection.
        """
        async with self._slots:
            call = functools.partial(fn, *args, **kwargs)
            future = asyncio.ensure_future(self._submit_and_wait(call))
            try:
                return await asyncio.shield(future)
            except asyncio.CancelledError:
                while not future.done():
                    with contextlib.suppress(asyncio.CancelledError):
                        await asyncio.wait([future])
                if not future.cancelled():
                    future.exception()  # retrieved: the caller is told about the cancellation
                raise

    async def _submit_and_wait(self, call: Callable[[], T]) -> T:
        submitted = await asyncio.to_thread(self.executor.submit, call)
        return await asyncio.wrap_future(submitted)


class WorkerPool(Executor):
    """A process pool for decoding untrusted files that survives a worker dying.

    Decoders (libjpeg, libheif, FFmpeg) run in worker processes, so a file that crashes one
    kills that worker, not the server. A plain `ProcessPoolExecutor` is unusable after that
    (`BrokenProcessPool` for every later call); this one starts a fresh pool on the next
    submit. Work in flight when a worker died fails with `BrokenProcessPool`.

    Workers are forked from a fork server that has already imported `WORKER_MODULES`: starting
    one takes milliseconds, and no worker inherits the server's threads or locks (plain `fork`
    from a process running aiosqlite and executor threads can deadlock). A worker exits when the
    server process is gone, even killed with SIGKILL; left alone it would wait for work forever.
    """

    def __init__(self, workers: int) -> None:
        self._workers = workers
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(list(WORKER_MODULES))
        self._lock = threading.Lock()
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self._workers, mp_context=self._context, initializer=_exit_with_parent
        )

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        with self._lock:
            try:
                return self._pool.submit(fn, *args, **kwargs)
            except BrokenProcessPool:
                log.warning("a media worker died; starting a new pool")
                self._pool.shutdown(wait=False)
                self._pool = self._new_pool()
                return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def _exit_with_parent() -> None:
    """In a worker: end this process as soon as the process that started it is gone."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()
        os._exit(0)

    threading.Thread(target=watch, name="covisor-parent-watch", daemon=True).start()
