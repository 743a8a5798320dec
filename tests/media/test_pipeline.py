"""Upload stream in, processed media record out; refusals leave no trace; the loop keeps running."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from covisor.kernel.errors import CovisorError
from covisor.media import (
    BlobStore,
    BoundedExecutor,
    MediaError,
    MediaPipeline,
    MediaRecord,
    StagedUpload,
)
from tests.media import samples


async def test_photo_upload_becomes_a_record_with_served_files(
    pipeline: MediaPipeline, store: BlobStore
) -> None:
    data = samples.camera_jpeg((1600, 1200), orientation=6)

    record = await pipeline.ingest(samples.chunked(data))

    assert (record.kind, record.mime, record.size) == ("image", "image/jpeg", len(data))
    assert (record.width, record.height) == (1200, 1600)
    assert record.blurry is not None and record.blur_score is not None
    assert store.blob_path(record.id).read_bytes() == data
    for name, variant in record.variants.items():
        path = pipeline.variant_path(record, name)
        assert path is not None and path.stat().st_size == variant.bytes
    assert pipeline.variant_path(record, "../../blobs") is None
    assert await pipeline.get(record.id) == record
    assert list(samples.all_files(store.scratch)) == []


async def test_video_upload_becomes_a_record(
    pipeline: MediaPipeline, store: BlobStore, tmp_path: Path
) -> None:
    clip = samples.video(tmp_path / "clip.mp4", size=(640, 360), frames=75).read_bytes()

    record = await pipeline.ingest(samples.chunked(clip))

    assert (record.kind, record.mime, record.width, record.height) == (
        "video",
        "video/mp4",
        640,
        360,
    )
    assert record.duration == pytest.approx(3.0, abs=0.05)
    assert {"video.mp4", "poster.jpg", "poster.webp"} <= set(record.variants)
    assert await pipeline.get(record.id) == record


async def test_duplicate_upload_is_stored_and_processed_once(
    store: BlobStore, executor: ThreadPoolExecutor
) -> None:
    class CountingOffload(BoundedExecutor):
        calls = 0

        async def run(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
            self.calls += 1
            return await super().run(fn, *args, **kwargs)

    offload = CountingOffload(executor, 2)
    pipeline = MediaPipeline(store, offload, samples.OPTIONS)
    data = samples.alpha_png()

    first = await pipeline.ingest(samples.chunked(data))
    second = await pipeline.ingest(samples.chunked(data, 10))

    assert first == second
    assert offload.calls == 1
    assert len(list(samples.all_files(store.blobs))) == 1
    assert len(list(store.derived.glob("*/*"))) == 1


async def test_concurrent_duplicates_publish_one_copy(
    pipeline: MediaPipeline, store: BlobStore
) -> None:
    data = samples.camera_jpeg((800, 600))
    records = await asyncio.gather(*(pipeline.ingest(samples.chunked(data)) for _ in range(3)))
    assert len({r.id for r in records}) == 1
    assert len(list(samples.all_files(store.blobs))) == 1
    assert len(list(store.derived.glob("*/*"))) == 1
    assert list(samples.all_files(store.scratch)) == []


def _truncated_jpeg() -> bytes:
    data = samples.jpeg_bytes(samples.detailed((800, 600)))
    return data[: len(data) // 2]


REFUSED = [
    ("truncated jpeg", _truncated_jpeg(), "bad_request"),
    ("50000x50000 png header", samples.png_header_only(50_000, 50_000), "too_large"),
    ("text named .jpg", samples.TEXT, "unsupported"),
    ("svg with script", samples.SVG_WITH_SCRIPT, "unsupported"),
    ("html", samples.HTML, "unsupported"),
    ("pdf", samples.PDF, "unsupported"),
    ("over the byte limit", samples.camera_jpeg((640, 480)) + bytes(200_000), "too_large"),
    (
        "mp4 header with no video",
        b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41" * 40,
        "unsupported",
    ),
]


@pytest.mark.parametrize(
    ("data", "code"), [(d, c) for _, d, c in REFUSED], ids=[name for name, _, _ in REFUSED]
)
async def test_refused_upload_leaves_nothing_anywhere(
    store: BlobStore, executor: ThreadPoolExecutor, data: bytes, code: str
) -> None:
    options = replace(samples.OPTIONS, upload=replace(samples.LIMITS, max_image_bytes=150_000))
    pipeline = MediaPipeline(store, BoundedExecutor(executor, 2), options)

    with pytest.raises(MediaError) as refused:
        await pipeline.ingest(samples.chunked(data, 8192))

    assert refused.value.code == code
    assert list(samples.all_files(store.blobs)) == list(samples.all_files(store.derived)) == []
    assert [p for p in store.scratch.iterdir()] == []


async def test_upload_is_announced_once_received_before_it_is_processed(
    pipeline: MediaPipeline, store: BlobStore
) -> None:
    data = samples.camera_jpeg((800, 600))
    seen: list[tuple[str, str, bool]] = []

    async def announce(staged: StagedUpload) -> None:
        processed = await pipeline.get(staged.sha256) is not None
        seen.append((staged.sha256, staged.media_type.kind, processed))

    record = await pipeline.ingest(samples.chunked(data), announce)

    assert seen == [(record.id, "image", False)]


async def test_refusal_by_the_announcement_leaves_nothing(
    pipeline: MediaPipeline, store: BlobStore
) -> None:
    async def refuse(staged: StagedUpload) -> None:
        raise CovisorError("conflict", "this conversation is closed")

    with pytest.raises(CovisorError):
        await pipeline.ingest(samples.chunked(samples.alpha_png()), refuse)

    assert samples.left_behind(store) == []


async def test_a_photo_is_served_from_its_first_picture_before_the_rest_is_made(
    pipeline: MediaPipeline, store: BlobStore
) -> None:
    data = samples.camera_jpeg((1600, 1200), orientation=6)
    firsts: list[tuple[MediaRecord, MediaRecord | None, set[str]]] = []

    async def first(record: MediaRecord) -> None:
        on_disk = {p.name for p in store.derived_dir(record.id).iterdir()}
        firsts.append((record, await pipeline.get(record.id), on_disk))

    record = await pipeline.ingest(samples.chunked(data), on_first=first)

    [(shown, served, on_disk)] = firsts
    assert set(shown.variants) == {"display.jpg"}
    assert (shown.complete, shown.blur_score, shown.blurry) == (False, None, None)
    assert (shown.width, shown.height) == (record.width, record.height) == (1200, 1600)
    assert served == shown and on_disk == {"display.jpg", "info.json"}
    assert store.blob_path(record.id).read_bytes() == data
    assert record.complete and record.blur_score is not None
    assert set(record.variants) == {"display.jpg", "display.webp", "thumb.jpg", "thumb.webp"}
    assert record.variants["display.jpg"] == shown.variants["display.jpg"]
    assert await pipeline.get(record.id) == record
    assert list(samples.all_files(store.scratch)) == []


async def test_a_photo_whose_rest_fails_keeps_its_first_picture_until_sent_again(
    pipeline: MediaPipeline, store: BlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def disk_full(sha256: str, work: Path) -> None:
        raise OSError("the disk is full")

    data = samples.camera_jpeg((800, 600))
    with monkeypatch.context() as patch:
        patch.setattr(store, "extend", disk_full)
        kept = await pipeline.ingest(samples.chunked(data))

    assert not kept.complete and set(kept.variants) == {"display.jpg"}
    assert await pipeline.get(kept.id) == kept
    assert list(samples.all_files(store.scratch)) == []
    finished = await pipeline.ingest(samples.chunked(data))
    assert finished.complete and "thumb.webp" in finished.variants
    assert await pipeline.get(kept.id) == finished
    assert len(list(store.derived.glob("*/*"))) == 1


async def test_a_video_is_shown_whole(
    pipeline: MediaPipeline, store: BlobStore, tmp_path: Path
) -> None:
    clip = samples.video(tmp_path / "clip.mp4", size=(320, 240), frames=10).read_bytes()
    firsts: list[MediaRecord] = []

    async def first(record: MediaRecord) -> None:
        firsts.append(record)

    record = await pipeline.ingest(samples.chunked(clip), on_first=first)

    assert firsts == [record] and record.complete
