"""Running CPU-heavy media work off the event loop, a bounded number at a time."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable
from concurrent.futures import Executor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


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
        """
        async with self._slots:
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(self.executor, functools.partial(fn, *args, **kwargs))
            try:
                return await asyncio.shield(future)
            except asyncio.CancelledError:
                while not future.done():
                    with contextlib.suppress(asyncio.CancelledError):
                        await asyncio.wait([future])
                if not future.cancelled():
                    future.exception()  # retrieved: the caller is told about the cancellation
                raise
