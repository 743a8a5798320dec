"""From an upload's byte stream to a stored, processed media item.

`MediaPipeline.ingest` is what an HTTP upload handler calls with the multipart field's chunks:

1. stream to the temp area, sniffing the type and enforcing its byte limit (`BlobStore.stage`),
   then tell the caller (`on_received`: the server announces the upload to the conversation);
2. if these exact bytes were ingested before, return that record: nothing is decoded twice;
3. otherwise validate and process the staged file in the executor into a fresh work
   directory (`process_video`, or `process_image`, which tells of a photo's display JPEG as
   soon as it is written, first_picture.py), and write an `info.json` of the record there: a
   video's whole, a photo's first picture's; the caller's announcement (`on_received`) and the
   original's fsync run while the job does;
4. commit the original to `blobs/` and publish the work directory as `derived/ab/<sha256>/`,
   then tell the caller (`on_first`: the server adds the item to the conversation);
5. for a photo, when the job has made the other variants and the sharpness score in a second
   work directory, add them to the published directory with the complete record.

A refusal at any step up to 4 raises `MediaError` and leaves nothing behind: the original is
committed only once it has been processed successfully, so `blobs/` holds only media that can
be served. Step 5 cannot refuse: the photo is already shown; if it fails, the item keeps its
first picture (logged), and ingesting the same bytes again finishes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiofiles
import msgspec

from covisor.media.blobs import RECORD_FILE, BlobStore, StagedUpload, UploadLimits
from covisor.media.first_picture import FirstPicture, Tell
from covisor.media.images import ImageOptions, process_image
from covisor.media.offload import BoundedExecutor
from covisor.media.sniff import SNIFF_BYTES, MediaKind, sniff
from covisor.media.variants import Variant
from covisor.media.videos import VideoOptions, process_video

_READ_CHUNK = 256 * 1024

log = logging.getLogger(__name__)

Received = Callable[[StagedUpload], Awaitable[None]]
"""Told about an upload once its bytes are in and its type is accepted, while processing."""


@dataclass(frozen=True)
class MediaRecord:
    """A processed media item; `id` is the SHA-256 of the original's bytes.

    `variants` maps a file name to the served file in the item's directory
    (`BlobStore.derived_dir(id)`): `display.webp/.jpg` and `thumb.webp/.jpg` for an image,
    `video.<ext>`, `poster.webp/.jpg` and `thumb.webp/.jpg` for a video. `width`/`height` are
    the upright size of the original. Image-only and video-only fields are None otherwise.
    `complete` is False for a photo's first record (`display.jpg` alone, no score yet).
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
    complete: bool = True


First = Callable[[MediaRecord], Awaitable[None]]
"""Told the first record that can be served, before a photo's other variants are made."""


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
        self,
        chunks: AsyncIterable[bytes],
        on_received: Received | None = None,
        on_first: First | None = None,
    ) -> MediaRecord:
        """Store and process an upload; raises `MediaError` if it is refused. Returns the
        complete record (see the module's steps).

        `on_received` is awaited once the bytes are in, while they are processed (the server
        announces the upload to the conversation there); whatever it raises refuses the upload,
        leaving nothing behind. `on_first` is awaited with the first record that can be served:
        a photo's display JPEG, before its other variants; a video's or known bytes' whole
        record. What it raises refuses the upload too, though its files stay published.
        """
        async with self.store.stage(chunks, self.options.upload) as staged:
            existing = await self.get(staged.sha256)
            if existing is not None and existing.complete:
                if on_received is not None:
                    await on_received(staged)
                if on_first is not None:
                    await on_first(existing)
                return existing
            async with self.store.work_dir() as work, self.store.work_dir() as rest:
                told = FirstPicture()
                job = asyncio.ensure_future(self._process(staged, work, Tell(told.address, rest)))
                synced = asyncio.ensure_future(self.store.sync(staged))
                try:
                    record = await self._announced(
                        self._first(staged, job, told), staged, on_received
                    )
                    await _write_record(work, record)
                    await synced
                    await asyncio.gather(self.store.commit(staged), self.store.sync_tree(work))
                    await self.store.publish(staged.sha256, work)
                    if on_first is not None:
                        await on_first(record)
                    if not record.complete:
                        record = await self._rest(record, job, rest)
                finally:
                    told.close()
                    await _settled(synced)
                    await _settled(job)
        return record

    async def finish(self, record: MediaRecord) -> MediaRecord:
        """The complete record of an incomplete photo (its process died between the module's
        steps 4 and 5), made again from its original; `record` itself if it is complete.
        Raises `FileNotFoundError` if the original is gone (erased), `MediaError` if it no
        longer decodes."""
        if record.complete:
            return record
        original = await self.store.local_blob(record.id)
        async with aiofiles.open(original, "rb") as source:
            media_type = sniff(await source.read(SNIFF_BYTES))
        async with self.store.work_dir() as work:
            image = await self.offload.run(
                process_image, original, work, media_type, self.options.image
            )
            whole = dataclasses.replace(
                record,
                variants=image.variants,
                blur_score=image.blur_score,
                blurry=image.blurry,
                complete=True,
            )
            await _write_record(work, whole)
            await self.store.extend(record.id, work)
        return whole

    async def ingest_file(self, path: Path, on_received: Received | None = None) -> MediaRecord:
        """Ingest a local file (the demo catalogues) exactly as if it had been uploaded."""
        return await self.ingest(_read_chunks(path), on_received)

    async def get(self, media_id: str) -> MediaRecord | None:
        """The record of an ingested item, or None if there is none (or `media_id` is no id).
        Read from this node's disk; only when it is not there, or not complete (another node
        may have finished it since), is the mirror asked for it."""
        try:
            record = await _read_record(self.store.derived_dir(media_id))
            stale = record is not None and not record.complete
            if (record is None or stale) and await self.store.local_derived(
                media_id, refresh=stale
            ):
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

    @staticmethod
    async def _announced(
        processing: Awaitable[MediaRecord], staged: StagedUpload, on_received: Received | None
    ) -> MediaRecord:
        """`processing`'s result, `on_received` awaited while it runs; if that raises, the
        processing is stopped and the refusal raised."""
        first = asyncio.ensure_future(processing)
        try:
            if on_received is not None:
                await on_received(staged)
        except BaseException:
            first.cancel()
            with contextlib.suppress(BaseException):
                await first
            raise
        return await first

    @staticmethod
    async def _first(
        staged: StagedUpload, job: Awaitable[MediaRecord], told: FirstPicture
    ) -> MediaRecord:
        """The record of what can be shown first: a photo's display JPEG as soon as the job
        tells of it, else (a video) the job's whole record."""
        first = await told.receive(job)
        if first is None:
            return await job
        return MediaRecord(
            id=staged.sha256,
            kind="image",
            mime=staged.media_type.mime,
            size=staged.size,
            width=first.width,
            height=first.height,
            variants=first.variants,
            complete=False,
        )

    async def _process(self, staged: StagedUpload, work: Path, first: Tell) -> MediaRecord:
        media_type = staged.media_type
        if media_type.kind == "image":
            image = await self.offload.run(
                process_image, staged.path, work, media_type, self.options.image, first
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

    async def _rest(
        self, first: MediaRecord, job: Awaitable[MediaRecord], rest: Path
    ) -> MediaRecord:
        """The photo's complete record once the job has made the rest in `rest`, added to the
        published files; the first record if that fails (the photo is shown already, so it is
        not refused)."""
        try:
            record = await job
            await _write_record(rest, record)
            await self.store.extend(first.id, rest)
        except Exception:
            log.exception("media %s keeps its first picture: the rest could not be made", first.id)
            return first
        return record


async def _settled(job: asyncio.Future[Any]) -> None:
    """`job` ended: cancelled if it still runs, and waited for (its worker is done with the
    work directories before they are removed)."""
    if not job.done():
        job.cancel()
    with contextlib.suppress(BaseException):
        await job


async def _read_chunks(path: Path) -> AsyncIterator[bytes]:
    async with aiofiles.open(path, "rb") as source:
        while chunk := await source.read(_READ_CHUNK):
            yield chunk


async def _write_record(directory: Path, record: MediaRecord) -> None:
    async with aiofiles.open(directory / RECORD_FILE, "wb") as out:
        await out.write(msgspec.json.encode(record))


async def _read_record(derived: Path) -> MediaRecord | None:
    try:
        async with aiofiles.open(derived / RECORD_FILE, "rb") as source:
            return msgspec.json.decode(await source.read(), type=MediaRecord)
    except FileNotFoundError:
        return None
