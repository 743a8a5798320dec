"""Fixtures for the media tests: a blob store and a pipeline on a fresh data directory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from covisor.media import BlobStore, BoundedExecutor, MediaPipeline
from tests.media import samples


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[BlobStore]:
    blob_store = BlobStore(tmp_path / "media")
    await blob_store.open()
    yield blob_store
    await blob_store.close()


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield pool


@pytest.fixture
def pipeline(store: BlobStore, executor: ThreadPoolExecutor) -> MediaPipeline:
    return MediaPipeline(store, BoundedExecutor(executor, 2), samples.OPTIONS)
