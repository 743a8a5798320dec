"""Product pictures: fetched once per URL, processed by the media pipeline like any upload.

A picture is fetched under the outbound rule (fetching.py) and streamed into
`MediaPipeline.ingest`, which refuses what is not an image before decoding it and returns the
existing record for bytes it has seen before (deduplication by content: two URLs of one
picture make one media item). The outcome (the media, or why not) is kept by URL, so the same
URL is never fetched twice and an import of unchanged products fetches nothing. At most
`concurrency` pictures are in flight per process.

`Shelf` serves the pictures under one URL prefix from a local directory instead (the demo
shop ships its pictures beside its feed): nothing is fetched for them.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path

from covisor.catalogue.fetching import Fetcher, FetchError
from covisor.kernel.clock import Clock
from covisor.kernel.errors import CovisorError
from covisor.media import MediaPipeline
from covisor.media.blobs import StagedUpload
from covisor.store.products import ProductStore
from covisor.store.records import ProductImageRecord


@dataclass(frozen=True)
class Shelf:
    """Pictures whose URL starts with `prefix` are the files of `directory` named by the rest
    (a bare file name: anything else is not on the shelf)."""

    prefix: str
    directory: Path

    def path(self, url: str) -> Path | None:
        if not url.startswith(self.prefix):
            return None
        name = url[len(self.prefix) :]
        if not _FILE_NAME.match(name):
            return None
        return self.directory / name


_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,120}\Z")


async def _only_images(staged: StagedUpload) -> None:
    if staged.media_type.kind != "image":
        raise CovisorError("unsupported", f"not a picture but a {staged.media_type.kind}")


class Pictures:
    def __init__(
        self,
        products: ProductStore,
        pipeline: MediaPipeline,
        fetcher: Fetcher,
        *,
        clock: Clock,
        concurrency: int,
        shelf: Shelf | None = None,
    ) -> None:
        self._products = products
        self._pipeline = pipeline
        self._fetcher = fetcher
        self._clock = clock
        self._shelf = shelf
        self._slots = asyncio.Semaphore(concurrency)
        self._in_flight: dict[str, asyncio.Task[ProductImageRecord]] = {}

    async def fetch(self, url: str) -> ProductImageRecord:
        """The outcome of `url` (saved before it is returned); one fetch at a time per URL."""
        task = self._in_flight.get(url)
        if task is None:
            task = asyncio.ensure_future(self._fetch(url))
            self._in_flight[url] = task
            task.add_done_callback(lambda _: self._in_flight.pop(url, None))
        return await asyncio.shield(task)

    async def _fetch(self, url: str) -> ProductImageRecord:
        async with self._slots:
            image = await self._ingest(url)
            await self._products.save_product_image(image)
            return image

    async def _ingest(self, url: str) -> ProductImageRecord:
        now = self._clock()
        local = None if self._shelf is None else self._shelf.path(url)
        try:
            if local is not None:
                record = await self._pipeline.ingest_file(local, _only_images)
            else:
                async with self._fetcher.get(url, "image_link") as answer:
                    record = await self._pipeline.ingest(answer.chunks, _only_images)
        except FileNotFoundError:
            return ProductImageRecord(url=url, error="image_link: no such file", attempted_at=now)
        except FetchError as exc:
            return ProductImageRecord(url=url, error=str(exc), attempted_at=now)
        except CovisorError as exc:
            return ProductImageRecord(url=url, error=f"image_link: {exc.message}", attempted_at=now)
        return ProductImageRecord(
            url=url,
            media_id=record.id,
            width=record.width,
            height=record.height,
            attempted_at=now,
        )
