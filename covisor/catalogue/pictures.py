"""Product pictures: fetched once per URL, processed by the media pipeline like any upload.

A picture is fetched under the outbound rule (fetching.py) and streamed into
`MediaPipeline.ingest`, which refuses what is not an image before decoding it and returns the
existing record for bytes it has seen before (deduplication by content: two URLs of one
picture make one media item). The outcome (the media, or why not) is kept by URL, so the same
URL is never fetched twice and an import of unchanged products fetches nothing. At most
`concurrency` pictures are in flight per process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from covisor.catalogue.fetching import Fetcher, FetchError
from covisor.kernel.clock import Clock
from covisor.kernel.errors import CovisorError
from covisor.media import MediaPipeline
from covisor.media.blobs import StagedUpload
from covisor.store.products import ProductStore
from covisor.store.records import ProductImageRecord

PictureDone = Callable[[str, ProductImageRecord], None]
"""Told the outcome of each picture fetched (its URL, its record)."""


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
    ) -> None:
        self._products = products
        self._pipeline = pipeline
        self._fetcher = fetcher
        self._clock = clock
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
        try:
            async with self._fetcher.get(url, "image_link") as answer:
                record = await self._pipeline.ingest(answer.chunks, _only_images)
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
