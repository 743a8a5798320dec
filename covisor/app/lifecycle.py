"""What a running process has started, and the one order it is stopped in.

The composition root declares its parts once, in start order (`Lifecycle.start`); stopping is
derived, never written: `close` stops the started parts last-started first, so a part is
always stopped before what it uses. A part that failed to start is not stopped, and the parts
started before it are stopped at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from covisor.kernel.background import Background

log = logging.getLogger(__name__)

Stop = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Part:
    """One running part: `start`, which only schedules its work (none for a part opened
    while being built), and the `stop` that undoes it."""

    name: str
    stop: Stop
    start: Callable[[], None] | None = None


def beside(name: str, work: Callable[[], Coroutine[Any, Any, Any]]) -> Part:
    """A part that is one background task: `work()` runs from its start until its stop."""
    background = Background()

    def start() -> None:
        background.spawn(work(), f"covisor-{name}")

    return Part(name, background.stop, start)


def every(seconds: float, job: Callable[[], Awaitable[int]], name: str) -> Part:
    """A part that runs `job` every `seconds`, logging what it did."""

    async def loop() -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                done = await job()
            except Exception:
                log.exception("%s failed", name)
            else:
                if done:
                    log.info("%s: %d", name, done)

    return beside(name, loop)


class Lifecycle:
    def __init__(self) -> None:
        self._started: list[Part] = []

    def opened(self, name: str, stop: Stop) -> None:
        """A part already running (opened to build the others): stopped after everything
        started later."""
        self._started.append(Part(name, stop))

    async def start(self, parts: list[Part]) -> None:
        """Start `parts` in order; on a failure, stop what was started and raise."""
        for part in parts:
            try:
                if part.start is not None:
                    part.start()
            except BaseException:
                await self.close()
                raise
            self._started.append(part)

    async def close(self) -> None:
        """Stop every started part, last started first; a failing stop is logged and the
        others still stop."""
        while self._started:
            part = self._started.pop()
            try:
                await part.stop()
            except Exception:
                log.exception("stopping %s failed", part.name)
