"""CPU work runs in the executor, a bounded number at a time."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from covisor.media import BoundedExecutor, MediaError, process_image
from covisor.media.offload import WorkerPool
from covisor.media.sniff import JPEG, PNG
from tests.media import samples


class CountingPool(ThreadPoolExecutor):
    """A thread pool that counts what is handed to it."""

    submitted = 0

    def submit(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.submitted += 1
        return super().submit(*args, **kwargs)


async def test_no_more_than_limit_are_handed_to_the_executor_at_once() -> None:
    release = threading.Event()
    two_running = threading.Barrier(3)

    def work(index: int) -> int:
        if index < 2:
            two_running.wait(5)
        release.wait(5)
        return index

    with CountingPool(max_workers=8) as pool:
        bounded = BoundedExecutor(pool, 2)
        tasks = [asyncio.create_task(bounded.run(work, index)) for index in range(6)]
        await asyncio.to_thread(two_running.wait, 5)
        for _ in range(20):
            await asyncio.sleep(0)  # let every task reach the semaphore
        assert pool.submitted == 2
        release.set()
        assert await asyncio.gather(*tasks) == list(range(6))
        assert pool.submitted == 6


async def test_cancelled_caller_waits_for_the_work_to_finish() -> None:
    started = threading.Event()
    release = threading.Event()
    finished = threading.Event()

    def work() -> None:
        started.set()
        release.wait(5)
        finished.set()

    with ThreadPoolExecutor(max_workers=1) as pool:
        task = asyncio.create_task(BoundedExecutor(pool, 1).run(work))
        await asyncio.to_thread(started.wait, 5)
        task.cancel()
        await asyncio.sleep(0)
        assert not task.done()
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert finished.is_set()


async def test_event_loop_keeps_ticking_while_a_12_megapixel_photo_is_processed(
    executor: ThreadPoolExecutor, tmp_path: Path
) -> None:
    source = tmp_path / "photo"
    source.write_bytes(samples.camera_jpeg((4000, 3000), orientation=6))
    out = tmp_path / "out"
    out.mkdir()
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.001)
            ticks += 1

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    before = ticks
    result = await BoundedExecutor(executor, 1).run(process_image, source, out, JPEG, samples.IMAGE)
    during = ticks - before
    ticking.cancel()

    assert (result.width, result.height) == (3000, 4000)
    assert during >= 5  # a call blocking the loop would let the ticker run zero times


async def test_processing_works_through_a_process_pool_errors_included(tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.write_bytes(samples.camera_jpeg((640, 480)))
    bomb = tmp_path / "bomb"
    bomb.write_bytes(samples.png_header_only(20_000, 20_000))
    out = tmp_path / "out"
    out.mkdir()
    with ProcessPoolExecutor(max_workers=1) as pool:
        bounded = BoundedExecutor(pool, 1)
        result = await bounded.run(process_image, good, out, JPEG, samples.IMAGE)
        with pytest.raises(MediaError) as refused:
            await bounded.run(process_image, bomb, out, PNG, samples.IMAGE)
    assert (result.width, result.height) == (480, 640)
    assert (out / "display.webp").is_file()
    assert refused.value.code == "too_large"


async def test_worker_pool_starts_afresh_after_a_worker_dies(tmp_path: Path) -> None:
    source = tmp_path / "photo"
    source.write_bytes(samples.camera_jpeg((640, 480)))
    out = tmp_path / "out"
    out.mkdir()
    pool = WorkerPool(1)
    try:
        bounded = BoundedExecutor(pool, 1)
        with pytest.raises(BrokenProcessPool):
            await bounded.run(os._exit, 1)  # as a decoder crashing on a hostile file would
        result = await bounded.run(process_image, source, out, JPEG, samples.IMAGE)
    finally:
        pool.shutdown()
    assert (result.width, result.height) == (480, 640)


@pytest.mark.process
async def test_worker_exits_when_the_server_process_is_killed() -> None:
    script = (
        "import os, sys\n"
        "from covisor.media.offload import WorkerPool\n"
        "pool = WorkerPool(1)\n"
        "print(pool.submit(os.getpid).result(), flush=True)\n"
        "sys.stdin.read()\n"
    )
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    assert server.stdout is not None
    worker = int(await asyncio.wait_for(server.stdout.readline(), 20))
    server.kill()
    await server.wait()
    try:
        handle = os.pidfd_open(worker)
    except ProcessLookupError:
        return  # already gone
    gone = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_reader(handle, gone.set)
    try:
        await asyncio.wait_for(gone.wait(), 10)
    finally:
        loop.remove_reader(handle)
        os.close(handle)
