"""From an upload's byte stream to a stored, processed media item.

`MediaPipeline.ingest` is what an HTTP upload handler calls with the multipart field's chunks:

1. stream to the temp area, sniffing the type and enforcing its byte limit (`BlobStore.stage`),
   then tell the caller (`on_received`: the server announces the upload to the conversation);
2. if these exact bytes were ingested before, return that record: nothing is decoded twice;
3. otherwise validate and process the staged file in the executor (`process_image` or
   `process_video`) into a fresh work directory, together with an `info.json` of the record;
4. commit the original to `blobs/` and publish the work directory as `derived/ab/<sha256>/`.

A refusal at any step raises `MediaError` and leaves nothing behind: the original is committed
only once it has been processed successfully, so `blobs/` holds only media that can be served.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiofiles
import msgspec

from covisor.media.blobs import RECORD_FILE, BlobStore, StagedUpload, UploadLimits
from covisor.media.images import ImageOptions, process_image
from covisor.media.offload import BoundedExecutor
from covisor.media.sniff import MediaKind
from covisor.media.variants import Variant
from covisor.media.videos import VideoOptions, process_video

_READ_CHUNK = 256 * 1024

Received = Callable[[StagedUpload], Awaitable[None]]
"""Told about an upload once its bytes are in and its type is accepted, before processing."""


@dataclass(frozen=True)
class MediaRecord:
    """A processed media item; `id` is the SHA-256 of the original's bytes.

    `variants` maps a file name to the served file in the item's directory
    (`BlobStore.derived_dir(id)`): `display.webp/.jpg` and `thumb.webp/.jpg` for an image,
    `video.<ext>`, `poster.webp/.jpg` and `thumb.webp/.jpg` for a video. `width`/`height` are
    the upright size of the original. Image-only and video-only fields are None otherwise.
    """

    id: str
    kind: MediaKind
    mime: str
    size: int
    width: int
    height: int
    variants: dict[str, Variant]
    blur_score: float | None = None
    blurry: bool | None = None
    duration: float | None = None
    fps: float | None = None
    codec: str | None = None


@dataclass(frozen=True)
class MediaOptions:
    """Every media limit in one place; the server builds it from its `Config`."""

    upload: UploadLimits
    image: ImageOptions
    video: VideoOptions = field(default_factory=VideoOptions)


class MediaPipeline:
    """Ingests uploads into `store`, doing the CPU work through `offload`."""

    def __init__(self, store: BlobStore, offload: BoundedExecutor, options: MediaOptions) -> None:
        self.store = store
        self.offload = offload
        self.options = options

    async def ingest(
        self, chunks: AsyncIterable[bytes], on_received: Received | None = None
    ) -> MediaRecord:
        """Store and process an upload; raises `MediaError` if it is refused.

        `on_received` is awaited between receiving and processing (the server announces the
        upload to the conversation there); whatever it raises refuses the upload, leaving
        nothing behind.
        """
        async with self.store.stage(chunks, self.options.upload) as staged:
            if on_received is not None:
                await on_received(staged)
            existing = await self.get(staged.sha256)
            if existing is not None:
                return existing
            async with self.store.work_dir() as work:
                record = await self._process(staged, work)
                async with aiofiles.open(work / RECORD_FILE, "wb") as out:
                    await out.write(msgspec.json.encode(record))
                await self.store.commit(staged)
                await self.store.publish(staged.sha256, work)
        return record

    async def ingest_file(self, path: Path, on_received: Received | None = None) -> MediaRecord:
        """Ingest a local file (the demo catalogues) exactly as if it had been uploaded."""
        return await self.ingest(_read_chunks(path), on_received)

    async def get(self, media_id: str) -> MediaRecord | None:
        """The record of an ingested item, or None if there is none (or `media_id` is no id).
        Read from this node's disk; only when it is not there is the mirror asked for it."""
        try:
            record = await _read_record(self.store.derived_dir(media_id))
            if record is None and await self.store.local_derived(media_id) is not None:
                record = await _read_record(self.store.derived_dir(media_id))
        except ValueError:
            return None
        return record

    def variant_path(self, record: MediaRecord, name: str) -> Path | None:
        """Where the served file `name` of `record` is on disk, or None if it has no such file."""
        variant = record.variants.get(name)
        if variant is None:
            return None
        return self.store.derived_dir(record.id) / variant.path

    async def _process(self, staged: StagedUpload, work: Path) -> MediaRecord:
        media_type = staged.media_type
        if media_type.kind == "image":
            image = await self.offload.run(
                process_image, staged.path, work, media_type, self.options.image
            )
            return MediaRecord(
                id=staged.sha256,
                kind="image",
                mime=media_type.mime,
                size=staged.size,
                width=image.width,
                height=image.height,
                variants=image.variants,
                blur_score=image.blur_score,
                blurry=image.blurry,
            )
        video = await self.offload.run(
            process_video, staged.path, work, media_type, self.options.video
        )
        return MediaRecord(
            id=staged.sha256,
            kind="video",
            mime=media_type.mime,
            size=staged.size,
            width=video.width,
            height=video.height,
            variants=video.variants,
            duration=video.duration,
            fps=video.fps,
            codec=video.codec,
        )


async def _read_chunks(path: Path) -> AsyncIterator[bytes]:
    async with aiofiles.open(path, "rb") as source:
        while chunk := await source.read(_READ_CHUNK):
            yield chunk


async def _read_record(derived: Path) -> MediaRecord | None:
    try:
        async with aiofiles.open(derived / RECORD_FILE, "rb") as source:
            return msgspec.json.decode(await source.read(), type=MediaRecord)
    except FileNotFoundError:
        return None
