"""A real server on an event loop of its own thread, for synchronous tests that drive it from
the test's thread (Hypothesis runs its examples there): `served_on_thread(config, setup)`
serves `create_app(config)`, runs `setup(harness)` on the server's loop and yields that loop
and what `setup` made; on leaving it runs `cleanup(made)`, stops the server and ends what the
server left running (engine.io ping tasks of closed sockets)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from covisor.app.http import create_app
from covisor.config import Config
from tests.conftest import Harness, serving

T = TypeVar("T")


@contextmanager
def served_on_thread(
    config: Config,
    setup: Callable[[Harness], Awaitable[T]],
    cleanup: Callable[[T], Awaitable[None]] | None = None,
) -> Iterator[tuple[asyncio.AbstractEventLoop, T]]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    stop = asyncio.Event()
    ready: asyncio.Future[T] = asyncio.Future(loop=loop)

    async def serve() -> None:
        async with serving(await create_app(config)) as h:
            made = await setup(h)
            ready.set_result(made)
            await stop.wait()
            if cleanup is not None:
                await cleanup(made)

    serving_task = asyncio.run_coroutine_threadsafe(serve(), loop)
    made = asyncio.run_coroutine_threadsafe(asyncio.wait_for(ready, 30), loop).result(40)
    try:
        yield loop, made
    finally:
        loop.call_soon_threadsafe(stop.set)
        serving_task.result(30)
        asyncio.run_coroutine_threadsafe(_cancel_the_rest(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


async def _cancel_the_rest() -> None:
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
