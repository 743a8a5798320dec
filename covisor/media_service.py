"""Media in the running server: uploads into conversations and the product catalogue.

An upload into a conversation is announced (`media.processing`) through the journal as soon as
its bytes are in and its type is accepted, processed off the event loop by the pipeline, and
ends as `media.ready` (the item joins the conversation's gallery) or `media.failed` (the upload
is refused and nothing of it is kept). The uploader's request waits for the outcome, so a
refusal found while decoding (a truncated photo, a decompression bomb) is still its answer.

Catalogue items are the shop's public product media: processed like uploads, listed from the
store and served at stable, unsigned URLs (`/api/catalogue/{id}/{variant}`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from covisor import commands as c
from covisor.errors import CovisorError
from covisor.gallery import ORIGINAL, media_status
from covisor.identity import Identity
from covisor.media import MediaPipeline, MediaRecord, StagedUpload, Variant, load_catalogue
from covisor.services import Services
from covisor.store import CatalogueRecord

log = logging.getLogger(__name__)

NAME_CHARS = 120
"""Longest display name kept from a client's file name."""

_PUBLIC_EXTENSION = {"webp": "webp", "jpg": "jpeg"}
_STILL = re.compile(r"^(?P<stem>[a-z]+)\.(?P<ext>webp|jpg)$")


@dataclass(frozen=True)
class ServedFile:
    """A file to send: `download_name` makes it an attachment instead of something shown."""

    path: Path
    mime: str
    download_name: str | None = None


def display_name(filename: str | None) -> str:
    """What is kept of a client's file name: its last path component, printable, at most
    `NAME_CHARS` characters. Data to show, never part of a path."""
    last = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    printable = "".join(ch for ch in last if ch.isprintable()).strip()
    return printable[:NAME_CHARS] or "upload"


def public_variants(record: MediaRecord) -> dict[str, Variant]:
    """The served files of a record under their protocol names: `display_webp`, `display_jpeg`,
    `thumb_*`, `poster_*` and `video` (whatever the container)."""
    named: dict[str, Variant] = {}
    for file_name, variant in record.variants.items():
        still = _STILL.match(file_name)
        if still:
            named[f"{still['stem']}_{_PUBLIC_EXTENSION[still['ext']]}"] = variant
        elif file_name.startswith("video."):
            named["video"] = variant
    return named


def media_item(record: MediaRecord, name: str, uploaded_by: dict[str, str]) -> dict[str, Any]:
    """The gallery item a processed upload becomes (`media.ready` data): no URLs, see gallery.py."""
    item: dict[str, Any] = {
        "id": record.id,
        "kind": record.kind,
        "mime": record.mime,
        "name": name,
        "uploaded_by": uploaded_by,
        "width": record.width,
        "height": record.height,
        "blur_score": record.blur_score,
        "blurry": record.blurry,
        "variants": {
            public: {"width": v.width, "height": v.height, "mime": v.mime}
            for public, v in public_variants(record).items()
        },
    }
    if record.kind == "video":
        item["duration"] = record.duration
        item["fps"] = record.fps
    return item


def catalogue_entry(item: CatalogueRecord) -> dict[str, Any]:
    """What `GET /api/catalogue` lists for an item; its URLs are stable and public."""
    base = f"/api/catalogue/{item.id}"
    entry: dict[str, Any] = {
        "id": item.id,
        "title": item.title,
        "description": item.description,
        "price": item.price,
        "currency": item.currency,
        "kind": item.kind,
        "src": f"{base}/video" if item.kind == "video" else f"{base}/display_webp",
        "thumb": f"{base}/thumb_webp",
        "width": item.width,
        "height": item.height,
    }
    if item.kind == "video":
        entry["poster"] = f"{base}/poster_webp"
        entry["duration"] = item.duration
    return entry


class MediaService:
    """Feeds uploads through `pipeline` into conversations and the catalogue."""

    def __init__(self, services: Services, pipeline: MediaPipeline) -> None:
        self._svc = services
        self.pipeline = pipeline

    async def check_uploader(self, uploader: Identity, conversation_id: str) -> None:
        """Refuse before a byte is read: non-members, unknown and closed conversations."""
        view = await self._svc.journal.view(uploader, conversation_id)
        if view.summary["status"] == "closed":
            raise CovisorError("conflict", "this conversation is closed")

    async def upload(
        self,
        uploader: Identity,
        conversation_id: str,
        chunks: AsyncIterable[bytes],
        filename: str | None,
    ) -> dict[str, Any]:
        """Receive, announce, process and add an upload to the conversation's gallery.

        Returns the ready item as its uploader sees it. Raises the refusal (`MediaError` or
        another `CovisorError`) after announcing it as `media.failed` if it had been announced.
        """
        journal = self._svc.journal
        name = display_name(filename)
        upload_id = "u_" + self._svc.tokens(9)
        announced: list[str] = []

        async def announce(staged: StagedUpload) -> None:
            received = c.MediaReceived(
                conversation_id=conversation_id,
                upload_id=upload_id,
                media_id=staged.sha256,
                kind=staged.media_type.kind,
                name=name,
            )
            await journal.submit(uploader, received)
            announced.append(staged.sha256)

        try:
            record = await self.pipeline.ingest(chunks, announce)
        except BaseException as refusal:
            if announced:
                reason = refusal.code if isinstance(refusal, CovisorError) else "internal"
                await self._fail(uploader, conversation_id, upload_id, announced[0], reason)
            raise
        item = media_item(record, name, uploader.public())
        ready = c.MediaReady(conversation_id=conversation_id, upload_id=upload_id, media=item)
        await journal.submit(uploader, ready)
        return self._present(conversation_id, {"status": "ready", **item}, uploader)

    async def status(self, reader: Identity, conversation_id: str, media_id: str) -> dict[str, Any]:
        """A member's look at one media item of the conversation: ready or still processing."""
        view = await self._svc.journal.view(reader, conversation_id)
        found = media_status(view.snapshot, media_id)
        if found is None:
            raise CovisorError("not_found", "no such media in this conversation")
        return self._present(conversation_id, found, reader)

    async def conversation_file(
        self, conversation_id: str, media_id: str, variant: str, exp: str | None, sig: str | None
    ) -> tuple[ServedFile, float]:
        """The file a signed URL names and the seconds the URL has left; `forbidden` if the
        signature does not hold, `not_found` if there is no such file."""
        left = self._svc.links.verify(conversation_id, media_id, variant, exp, sig)
        record = await self._record(media_id)
        if variant == ORIGINAL:
            extension = record.mime.rsplit("/", 1)[-1]
            path = self.pipeline.store.blob_path(media_id)
            return ServedFile(path, record.mime, f"original.{extension}"), left
        return self._derived_file(record, variant), left

    async def catalogue(self) -> list[dict[str, Any]]:
        return [catalogue_entry(item) for item in await self._svc.store.catalogue_items()]

    async def add_to_catalogue(
        self, agent: Identity, record: MediaRecord, filename: str | None, title: str | None
    ) -> dict[str, Any]:
        """A new catalogue item of an agent's processed upload; returns its listing entry."""
        name = (title or "").strip()[:200] or display_name(filename)
        item = self._catalogue_record(
            "p_" + self._svc.tokens(9), name, "", record, added_by=agent.id
        )
        await self._svc.store.add_catalogue_item(item)
        return catalogue_entry(item)

    async def catalogue_file(self, item_id: str, variant: str) -> ServedFile:
        item = await self._svc.store.catalogue_item(item_id)
        if item is None:
            raise CovisorError("not_found", "no such catalogue item")
        return self._derived_file(await self._record(item.media_id), variant)

    async def seed_catalogue(self, path: Path) -> int:
        """Load the demo catalogue at `path` into the store, skipping items already there.

        Idempotent: a restart (or a second process starting at once) adds nothing twice.
        Returns how many items were added.
        """
        added = 0
        store = self._svc.store
        for product in load_catalogue(path):
            if await store.catalogue_item(product.id) is not None:
                continue
            record = await self.pipeline.ingest_file(product.file)
            item = self._catalogue_record(
                product.id,
                product.title,
                product.description,
                record,
                price=f"{product.price:.2f}",
                currency=product.currency,
            )
            added += await store.add_catalogue_item(item)
        return added

    def _catalogue_record(
        self, item_id: str, title: str, description: str, record: MediaRecord, **extra: Any
    ) -> CatalogueRecord:
        return CatalogueRecord(
            id=item_id,
            title=title,
            description=description,
            kind=record.kind,
            media_id=record.id,
            width=record.width,
            height=record.height,
            created_at=self._svc.clock(),
            duration=record.duration,
            **extra,
        )

    async def _fail(
        self, uploader: Identity, conversation_id: str, upload_id: str, media_id: str, reason: str
    ) -> None:
        failed = c.MediaFailed(
            conversation_id=conversation_id, upload_id=upload_id, media_id=media_id, reason=reason
        )
        try:
            await self._svc.journal.submit(uploader, failed)
        except CovisorError as refusal:
            log.warning("could not record that upload %s failed: %s", upload_id, refusal.message)

    def _present(
        self, conversation_id: str, found: dict[str, Any], reader: Identity
    ) -> dict[str, Any]:
        if found["status"] != "ready":
            return found
        return self._svc.links.item(conversation_id, found, with_original=reader.is_agent)

    async def _record(self, media_id: str) -> MediaRecord:
        record = await self.pipeline.get(media_id)
        if record is None:
            raise CovisorError("not_found", "no such media")
        return record

    def _derived_file(self, record: MediaRecord, variant: str) -> ServedFile:
        found = public_variants(record).get(variant)
        if found is None:
            raise CovisorError("not_found", f"this media has no {variant!r} file")
        return ServedFile(self.pipeline.store.derived_dir(record.id) / found.path, found.mime)
