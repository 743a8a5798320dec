"""The feed catalogue on real parts: an SQLite store, the media pipeline on a thread pool, the
outbound client allowed onto loopback (where the test shop runs)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from covisor.catalogue.fetching import Fetcher, FetchOptions
from covisor.catalogue.importer import CatalogueImports, ImportOptions
from covisor.catalogue.pictures import Pictures
from covisor.catalogue.service import ProductCatalogue
from covisor.kernel.clock import system_clock, system_tokens
from covisor.media import BlobStore, BoundedExecutor, MediaPipeline
from covisor.outbox.outbound import OutboundHttp
from covisor.store.records import ImportRecord
from covisor.store.sql import SQLiteStore
from tests.catalogue.shop import Shop, running_shop
from tests.media import samples


@dataclass
class Catalogue:
    store: SQLiteStore
    pipeline: MediaPipeline
    imports: CatalogueImports
    products: ProductCatalogue

    async def run(self, start: ImportRecord) -> ImportRecord:
        await self.imports.idle()
        return await self.imports.status(start.id)


@pytest.fixture
async def shop() -> AsyncIterator[Shop]:
    async with running_shop() as running:
        yield running


@pytest.fixture
async def make_catalogue(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[Catalogue]]]:
    """Builds catalogues on one data directory (a second one is a restarted process)."""
    opened: list[tuple[SQLiteStore, BlobStore, OutboundHttp, CatalogueImports]] = []
    pool = ThreadPoolExecutor(max_workers=2)

    async def make(
        lease: float = 30_000.0, picture_timeout: float = 10.0, batch_size: int = 500
    ) -> Catalogue:
        store = SQLiteStore(tmp_path / "covisor.sqlite3")
        await store.open()
        blobs = BlobStore(tmp_path / "media")
        await blobs.open()
        pipeline = MediaPipeline(blobs, BoundedExecutor(pool, 2), samples.OPTIONS)
        http = OutboundHttp(allow_insecure=True, connections=8)
        pictures = Pictures(
            store,
            pipeline,
            Fetcher(http, FetchOptions(True, picture_timeout, 5_000_000)),
            clock=system_clock,
            concurrency=4,
        )
        imports = CatalogueImports(
            store,
            pictures,
            Fetcher(http, FetchOptions(True, 30.0, 50_000_000)),
            tmp_path / "imports",
            ImportOptions(feed_limit=50_000_000, batch_size=batch_size, lease=lease),
            clock=system_clock,
            tokens=system_tokens,
        )
        await imports.open()
        opened.append((store, blobs, http, imports))
        return Catalogue(store, pipeline, imports, ProductCatalogue(store, pipeline))

    yield make
    for store, blobs, http, imports in reversed(opened):
        await imports.close()
        await http.close()
        await blobs.close()
        await store.close()
    pool.shutdown()
