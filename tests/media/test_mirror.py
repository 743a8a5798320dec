"""Media in S3-compatible object storage (a real SeaweedFS S3 server): two nodes that share
nothing but PostgreSQL and the bucket serve each other's uploads, and erasure on one removes
the objects and, at its next cache sweep, the other's copies."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from covisor.app.http import create_app
from covisor.config import Config
from covisor.media import BlobStore, BoundedExecutor, MediaPipeline, MediaRecord, blobs
from covisor.media.mirror import ObjectMirror
from tests.conftest import serving
from tests.media import samples
from tests.media.samples import all_files
from tests.web.test_media import fetch, uploaded


def files_of(config: Config) -> list[Path]:
    """The media files a node keeps (not its temp area)."""
    root = config.data_dir / "media"
    return [p for p in all_files(root) if p.relative_to(root).parts[0] != "tmp"]


async def test_nodes_sharing_a_bucket_serve_each_other_s_uploads_and_erase_them_everywhere(
    config: Config,
    tmp_path: Path,
    postgres_url: str,
    media_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = dataclasses.replace(
        config, data_dir=tmp_path / "a", database_url=postgres_url, media_url=media_url
    )
    second = dataclasses.replace(first, data_dir=tmp_path / "b")
    photo = samples.camera_jpeg((800, 600), orientation=6)
    bucket = ObjectMirror(media_url)
    async with serving(await create_app(first)) as a, serving(await create_app(second)) as b:
        cid, customer, agent = await a.session()
        item = await uploaded(a, cid, customer.token, photo)
        stored = await bucket.keys("")
        assert f"blobs/{item['id'][:2]}/{item['id']}" in stored
        assert f"derived/{item['id'][:2]}/{item['id']}/info.json" in stored
        assert not files_of(second)

        path = f"/api/conversations/{cid}/media/{item['id']}"
        status, view = await b.request("GET", path, agent.token)
        assert status == 200 and view["status"] == "ready", view
        display = view["variants"]["display_webp"]["url"]
        status, _, on_b = await fetch(b, display)
        _, _, on_a = await fetch(a, display)
        assert status == 200 and on_b == on_a and on_b[:4] == b"RIFF"
        status, headers, part = await fetch(b, display, Range="bytes=0-99")
        assert status == 206 and part == on_a[:100], headers
        status, _, original = await fetch(b, view["variants"]["original"]["url"])
        assert status == 200 and original == photo

        assert await b.services.privacy.erase(cid)
        assert await bucket.keys("") == []
        assert not files_of(second), "the erasing node keeps nothing"
        assert files_of(first), "the other node's cache still holds its copy"
        monkeypatch.setattr(blobs, "SETTLED", 0.0)
        assert await a.services.media.pipeline.store.forget_erased() == 1
        assert not files_of(first)
        status, _, _ = await fetch(a, display)
        assert status == 404


async def test_a_node_that_cached_a_photo_s_first_picture_takes_the_rest_from_the_bucket(
    tmp_path: Path, media_url: str
) -> None:
    stores = [BlobStore(tmp_path / name, ObjectMirror(media_url)) for name in ("a", "b")]
    with ThreadPoolExecutor(2) as threads:
        a, b = (MediaPipeline(s, BoundedExecutor(threads, 2), samples.OPTIONS) for s in stores)
        for store in stores:
            await store.open()
        seen_on_b: list[MediaRecord | None] = []

        async def shown(record: MediaRecord) -> None:
            seen_on_b.append(await b.get(record.id))

        record = await a.ingest(samples.chunked(samples.camera_jpeg((800, 600))), on_first=shown)

        [first] = seen_on_b
        assert first is not None and not first.complete and set(first.variants) == {"display.jpg"}
        assert record.complete
        assert await b.get(record.id) == record
        thumb = "thumb.webp"
        assert (b.store.derived_dir(record.id) / thumb).read_bytes() == (
            a.store.derived_dir(record.id) / thumb
        ).read_bytes()
        for store in stores:
            await store.close()
