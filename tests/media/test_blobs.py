"""Streaming, atomic, content-addressed storage that leaves nothing behind when it refuses."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from covisor.media import BlobStore, MediaError, UploadLimits
from tests.media import samples


async def test_upload_is_stored_under_its_sha256(store: BlobStore) -> None:
    data = samples.camera_jpeg((320, 240))
    blob = await store.put(samples.chunked(data, 1000), samples.LIMITS)
    digest = hashlib.sha256(data).hexdigest()
    assert blob.sha256 == digest
    assert blob.path == store.blobs / digest[:2] / digest
    assert blob.path.read_bytes() == data
    assert (blob.size, blob.media_type.format) == (len(data), "jpeg")
    assert list(samples.all_files(store.scratch)) == []


async def test_same_bytes_uploaded_twice_are_stored_once(store: BlobStore) -> None:
    data = samples.alpha_png()
    first = await store.put(samples.chunked(data), samples.LIMITS)
    second = await store.put(samples.chunked(data, 7), samples.LIMITS)
    assert first.path == second.path
    assert list(samples.all_files(store.blobs)) == [first.path]


async def test_one_byte_chunks_are_sniffed_correctly(store: BlobStore) -> None:
    blob = await store.put(samples.chunked(samples.alpha_png(), 1), samples.LIMITS)
    assert blob.media_type.format == "png"


async def test_over_limit_upload_is_refused_while_streaming(store: BlobStore) -> None:
    data = samples.camera_jpeg((320, 240)) + bytes(300_000)
    consumed = 0

    async def counting() -> AsyncIterator[bytes]:
        nonlocal consumed
        async for chunk in samples.chunked(data, 10_000):
            consumed += len(chunk)
            yield chunk

    with pytest.raises(MediaError) as refused:
        await store.put(counting(), replace(samples.LIMITS, max_image_bytes=50_000))

    assert refused.value.code == "too_large"
    assert consumed <= 60_000  # stopped reading at the limit, not at the end
    assert samples.left_behind(store) == []


async def test_video_limit_applies_to_videos(store: BlobStore, tmp_path: Path) -> None:
    clip = samples.video(tmp_path / "clip.mp4", frames=20).read_bytes()
    limits = UploadLimits(max_image_bytes=len(clip) - 1, max_video_bytes=len(clip))
    blob = await store.put(samples.chunked(clip), limits)
    assert blob.media_type.kind == "video"
    with pytest.raises(MediaError):
        smaller = replace(samples.LIMITS, max_video_bytes=len(clip) - 1)
        await store.put(samples.chunked(clip), smaller)


@pytest.mark.parametrize("data", [samples.TEXT, samples.SVG_WITH_SCRIPT, samples.HTML, samples.PDF])
async def test_unsupported_upload_leaves_nothing(store: BlobStore, data: bytes) -> None:
    with pytest.raises(MediaError) as refused:
        await store.put(samples.chunked(data, 100), samples.LIMITS)
    assert refused.value.code == "unsupported"
    assert samples.left_behind(store) == []


async def test_cancelled_upload_leaves_nothing(store: BlobStore) -> None:
    started = asyncio.Event()

    async def stalls() -> AsyncIterator[bytes]:
        yield samples.camera_jpeg((320, 240))
        started.set()
        await asyncio.Event().wait()
        yield b""

    upload = asyncio.create_task(store.put(stalls(), samples.LIMITS))
    await started.wait()
    assert list(samples.all_files(store.scratch))  # the temp file exists mid-stream
    upload.cancel()
    with pytest.raises(asyncio.CancelledError):
        await upload
    assert samples.left_behind(store) == []


async def test_staged_upload_not_committed_is_deleted(store: BlobStore) -> None:
    async with store.stage(samples.chunked(samples.alpha_png()), samples.LIMITS) as staged:
        assert staged.path.parent == store.scratch
        assert staged.path.exists()
    assert not staged.path.exists()
    assert list(samples.all_files(store.blobs)) == []


async def test_sweep_removes_dead_leases_and_spares_live_ones(
    store: BlobStore, tmp_path: Path
) -> None:
    other = BlobStore(store.root)
    await other.open()
    (other.scratch / "upload-half").write_bytes(b"x")
    dead = store.tmp / "lease-0123456789abcdef"
    dead.mkdir()
    (dead / "upload-half").write_bytes(b"x")
    (store.tmp / "lease-0123456789abcdef.lock").touch()
    (store.tmp / "upload-from-an-old-version").write_bytes(b"x")

    assert await store.sweep() == 3

    assert sorted(p.name for p in store.tmp.iterdir()) == sorted(
        [store.lease, f"{store.lease}.lock", other.lease, f"{other.lease}.lock"]
    )
    assert (other.scratch / "upload-half").exists()
    await other.close()
    assert sorted(p.name for p in store.tmp.iterdir()) == [store.lease, f"{store.lease}.lock"]


async def test_a_claim_is_alive_while_its_process_holds_its_lease(store: BlobStore) -> None:
    other = BlobStore(store.root)
    await other.open()
    other.claim("c_1~u_1")
    assert await store.claimed_alive("c_1~u_1")
    assert not await store.claimed_alive("c_1~u_2")
    other.release("c_1~u_1")
    assert not await store.claimed_alive("c_1~u_1")
    other.claim("c_1~u_1")
    await other.close()
    assert not await store.claimed_alive("c_1~u_1")
