"""The REST adapter for media: uploads into conversations, their signed files, the catalogue.

`setup(app, catalogue, executor)` adds the routes and, on startup (after the core services), opens
the blob store under `data_dir/media`, starts the worker pool and, with `seed_demo`, loads the
demo catalogue in the background. Upload bodies are multipart, read part by part and streamed to
disk chunk by chunk (`request.multipart()` never buffers a part, so `client_max_size` does not
apply; the byte limits are enforced while the file streams in).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from concurrent.futures import Executor
from pathlib import Path

import aiohttp
from aiohttp import BodyPartReader, MultipartReader, web

from covisor.api import identify, json_response, require_agent
from covisor.errors import CovisorError
from covisor.media import (
    BlobStore,
    BoundedExecutor,
    ImageOptions,
    MediaOptions,
    MediaPipeline,
    UploadLimits,
)
from covisor.media.offload import WorkerPool
from covisor.media_service import MediaService, ServedFile
from covisor.services import SERVICES

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

MEDIA = web.AppKey("media", MediaService)
SEEDING = web.AppKey("media_seeding", asyncio.Task[int])

_MEDIA = r"{media_id:[0-9a-f]{64}}"
_VARIANT = r"{variant:[a-z_]{1,32}}"
_CHUNK = 256 * 1024
_FORM_OVERHEAD = 64 * 1024
_TEXT_FIELD_BYTES = 1024
_CATALOGUE_CACHE = "public, max-age=86400"


def setup(app: web.Application, catalogue: Path, executor: Executor | None = None) -> None:
    own_pools: list[Executor] = []

    async def start_media(app: web.Application) -> None:
        svc = app[SERVICES]
        config = svc.config
        blobs = BlobStore(config.data_dir / "media")
        await blobs.open()
        swept = await blobs.sweep_tmp()
        if swept:
            log.info("removed %d stale upload temp entries", swept)
        pool = executor
        if pool is None:
            pool = WorkerPool(config.media_workers)
            own_pools.append(pool)
        options = MediaOptions(
            upload=UploadLimits(config.max_image_bytes, config.max_video_bytes),
            image=ImageOptions(max_pixels=config.max_image_pixels),
        )
        media = MediaService(
            svc, MediaPipeline(blobs, BoundedExecutor(pool, config.media_workers), options)
        )
        app[MEDIA] = media
        if config.seed_demo and catalogue.is_file():
            app[SEEDING] = asyncio.create_task(_seed(media, catalogue), name="covisor-catalogue")

    async def stop_seeding(app: web.Application) -> None:
        task = app.get(SEEDING)
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def stop_workers(app: web.Application) -> None:
        for pool in own_pools:
            await asyncio.to_thread(pool.shutdown, True, cancel_futures=True)

    app.on_startup.append(start_media)
    app.on_shutdown.append(stop_seeding)
    app.on_cleanup.append(stop_workers)
    app.add_routes(routes)


async def _seed(media: MediaService, catalogue: Path) -> int:
    try:
        added = await media.seed_catalogue(catalogue)
    except Exception:
        log.exception("loading the demo catalogue failed")
        return 0
    if added:
        log.info("loaded %d demo catalogue items", added)
    return added


def media(request: web.Request) -> MediaService:
    return request.app[MEDIA]


@routes.post("/api/conversations/{conversation_id}/media")
async def upload(request: web.Request) -> web.Response:
    """A member's upload: 201 with the ready item once processed, or the refusal."""
    uploader = await identify(request)
    cid = request.match_info["conversation_id"]
    service = media(request)
    await service.check_uploader(uploader, cid)
    _check_length(request)
    reader = await _multipart(request)
    fields: dict[str, str] = {}
    part = await _next_file(reader, fields)
    item = await service.upload(uploader, cid, _chunks(part), part.filename)
    return json_response(item, 201)


@routes.get(f"/api/conversations/{{conversation_id}}/media/{_MEDIA}")
async def media_item_status(request: web.Request) -> web.Response:
    reader = await identify(request)
    info = request.match_info
    return json_response(
        await media(request).status(reader, info["conversation_id"], info["media_id"])
    )


@routes.get(f"/api/conversations/{{conversation_id}}/media/{_MEDIA}/{_VARIANT}")
async def conversation_file(request: web.Request) -> web.FileResponse:
    """A file of a conversation's media item, by signed URL (no Authorization needed)."""
    info = request.match_info
    served, left = await media(request).conversation_file(
        info["conversation_id"],
        info["media_id"],
        info["variant"],
        request.query.get("exp"),
        request.query.get("sig"),
    )
    return _file_response(served, f"private, max-age={int(left)}, immutable")


@routes.get("/api/catalogue")
async def catalogue(request: web.Request) -> web.Response:
    await require_agent(request)
    return json_response({"items": await media(request).catalogue()})


@routes.post("/api/catalogue")
async def add_to_catalogue(request: web.Request) -> web.Response:
    """An agent adds a product by uploading its picture or video (`file`, optional `title`)."""
    agent = await require_agent(request)
    _check_length(request)
    reader = await _multipart(request)
    fields: dict[str, str] = {}
    part = await _next_file(reader, fields)
    service = media(request)
    record = await service.pipeline.ingest(_chunks(part))
    await _rest(reader, fields)
    entry = await service.add_to_catalogue(agent, record, part.filename, fields.get("title"))
    return json_response(entry, 201)


@routes.get("/api/catalogue/{item_id:[A-Za-z0-9_-]{1,64}}/" + _VARIANT)
async def catalogue_file(request: web.Request) -> web.FileResponse:
    info = request.match_info
    served = await media(request).catalogue_file(info["item_id"], info["variant"])
    return _file_response(served, _CATALOGUE_CACHE)


def _file_response(served: ServedFile, cache_control: str) -> web.FileResponse:
    """The file with its own type, never sniffed by the browser; ranges come with FileResponse."""
    headers = {
        "Content-Type": served.mime,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": cache_control,
    }
    if served.download_name is not None:
        headers["Content-Disposition"] = f'attachment; filename="{served.download_name}"'
    return web.FileResponse(served.path, headers=headers)


def _check_length(request: web.Request) -> None:
    """Refuse a body that announces it is over every limit before reading any of it."""
    config = request.app[SERVICES].config
    limit = max(config.max_image_bytes, config.max_video_bytes) + _FORM_OVERHEAD
    if request.content_length is not None and request.content_length > limit:
        raise CovisorError("too_large", f"the upload is over the {limit // 1024**2} MB limit")


async def _multipart(request: web.Request) -> MultipartReader:
    if request.content_type != "multipart/form-data":
        raise CovisorError("bad_request", "send the file as multipart/form-data, field 'file'")
    try:
        return await request.multipart()
    except (ValueError, AssertionError):
        raise CovisorError("bad_request", "the multipart body is malformed") from None


async def _next_file(reader: MultipartReader, fields: dict[str, str]) -> BodyPartReader:
    """The `file` part, collecting the short text fields before it into `fields`."""
    part = await _next_part(reader)
    while part is not None:
        if part.name == "file":
            return part
        await _text_field(part, fields)
        part = await _next_part(reader)
    raise CovisorError("bad_request", "the upload has no 'file' field")


async def _rest(reader: MultipartReader, fields: dict[str, str]) -> None:
    """The text fields after the file; a second file is refused."""
    while (part := await _next_part(reader)) is not None:
        if part.name == "file":
            raise CovisorError("bad_request", "send one file per upload")
        await _text_field(part, fields)


async def _next_part(reader: MultipartReader) -> BodyPartReader | None:
    try:
        part = await reader.next()
    except (ValueError, AssertionError):
        raise CovisorError("bad_request", "the multipart body is malformed") from None
    if part is not None and not isinstance(part, BodyPartReader):
        raise CovisorError("bad_request", "nested multipart bodies are not accepted")
    return part


async def _text_field(part: BodyPartReader, fields: dict[str, str]) -> None:
    if part.name != "title":
        raise CovisorError("bad_request", f"unexpected field {str(part.name)[:40]!r}")
    raw = await part.read_chunk(_TEXT_FIELD_BYTES + 1)
    if len(raw) > _TEXT_FIELD_BYTES or await part.read_chunk(1):
        raise CovisorError("too_large", f"'{part.name}' is over {_TEXT_FIELD_BYTES} bytes")
    try:
        fields[part.name] = raw.decode()
    except UnicodeDecodeError:
        raise CovisorError("bad_request", f"'{part.name}' is not UTF-8 text") from None


async def _chunks(part: BodyPartReader) -> AsyncIterator[bytes]:
    """The file part's bytes as they arrive; a body cut off mid-file is a `bad_request`."""
    try:
        while chunk := await part.read_chunk(_CHUNK):
            yield chunk
    except (ConnectionError, aiohttp.ClientError, ValueError):
        raise CovisorError("bad_request", "the upload was interrupted") from None
