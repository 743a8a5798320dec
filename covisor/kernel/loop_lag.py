"""How far behind the event loop runs: what a command arriving now waits before it is looked at.

Commands that have not reached the journal yet (a Socket.IO packet read, its handler task not
run) are not in any queue the server can measure; the loop's lateness is their wait. A ticker
sleeps `interval` seconds and notes by how much it overslept.
"""

from __future__ import annotations

import asyncio


class LoopLag:
    def __init__(self, interval: float = 0.05) -> None:
        self._interval = interval
        self.seconds = 0.0
        """The last tick's lateness."""

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await asyncio.sleep(self._interval)
            self.seconds = max(0.0, loop.time() - started - self._interval)
