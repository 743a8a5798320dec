"""The shop's product catalogue: public product media an agent can show in any conversation.

Items are processed like uploads (the same pipeline), kept in the store and served at stable,
unsigned URLs (media_links.CATALOGUE_FILE). The demo catalogue is loaded on a first start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from covisor.conversations.gallery import DEFAULT_VARIANT, POSTER_VARIANT, viewer_entry
from covisor.kernel.clock import Clock, TokenSource
from covisor.kernel.errors import CovisorError
from covisor.kernel.identity import Identity
from covisor.media import MediaPipeline, MediaRecord, load_catalogue
from covisor.media.files import ServedFile, derived_file, display_name, media_record
from covisor.media.links import catalogue_url
from covisor.store import CatalogueRecord, Store

TITLE_CHARS = 200

SHOWN_VARIANTS = {"image": ("display_webp", "display_jpeg"), "video": ("video",)}
"""What of a catalogue item the viewer may show: the pipeline makes these for every item."""


def check_title(title: str | None) -> None:
    """Refuse a product title over `TITLE_CHARS` characters (never cut it)."""
    if title is not None and len(title.strip()) > TITLE_CHARS:
        raise CovisorError("bad_request", f"title: at most {TITLE_CHARS} characters")


def catalogue_entry(item: CatalogueRecord) -> dict[str, Any]:
    """What `GET /api/catalogue` lists for an item; its URLs are stable and public."""
    entry: dict[str, Any] = {
        "id": item.id,
        "title": item.title,
        "description": item.description,
        "price": item.price,
        "currency": item.currency,
        "kind": item.kind,
        "src": catalogue_url(item.id, DEFAULT_VARIANT[item.kind]),
        "thumb": catalogue_url(item.id, "thumb_webp"),
        "width": item.width,
        "height": item.height,
    }
    if item.kind == "video":
        entry["poster"] = catalogue_url(item.id, POSTER_VARIANT)
        entry["duration"] = item.duration
    return entry


class CatalogueService:
    def __init__(
        self, store: Store, pipeline: MediaPipeline, *, clock: Clock, tokens: TokenSource
    ) -> None:
        self._store = store
        self._pipeline = pipeline
        self._clock = clock
        self._tokens = tokens

    async def entries(self) -> list[dict[str, Any]]:
        return [catalogue_entry(item) for item in await self._store.catalogue_items()]

    async def add(
        self, agent: Identity, record: MediaRecord, filename: str | None, title: str | None
    ) -> dict[str, Any]:
        """A new catalogue item of an agent's processed upload; returns its listing entry."""
        check_title(title)
        name = (title or "").strip() or display_name(filename)
        item = self._record("p_" + self._tokens(9), name, "", record, added_by=agent.id)
        await self._store.add_catalogue_item(item)
        return catalogue_entry(item)

    async def file(self, item_id: str, variant: str) -> ServedFile:
        item = await self._item(item_id)
        return derived_file(
            self._pipeline, await media_record(self._pipeline, item.media_id), variant
        )

    async def viewer_media(self, item_id: str, variant: str | None) -> dict[str, Any]:
        """The viewer entry of a catalogue item (gallery.viewer_entry), or the refusal."""
        item = await self._item(item_id)
        chosen = variant or DEFAULT_VARIANT[item.kind]
        if chosen not in SHOWN_VARIANTS[item.kind]:
            raise CovisorError("bad_request", f"a catalogue {item.kind} has no variant {chosen!r}")
        return viewer_entry(
            "catalogue",
            item.id,
            chosen,
            kind=item.kind,
            title=item.title,
            width=item.width,
            height=item.height,
            duration=item.duration,
            poster=POSTER_VARIANT,
        )

    async def seed(self, path: Path) -> int:
        """Load the demo catalogue at `path` into the store, skipping items already there.

        Idempotent: a restart (or a second process starting at once) adds nothing twice.
        Returns how many items were added.
        """
        added = 0
        for product in load_catalogue(path):
            if await self._store.catalogue_item(product.id) is not None:
                continue
            record = await self._pipeline.ingest_file(product.file)
            item = self._record(
                product.id,
                product.title,
                product.description,
                record,
                price=f"{product.price:.2f}",
                currency=product.currency,
            )
            added += await self._store.add_catalogue_item(item)
        return added

    async def _item(self, item_id: str) -> CatalogueRecord:
        item = await self._store.catalogue_item(item_id)
        if item is None:
            raise CovisorError("not_found", "no such catalogue item")
        return item

    def _record(
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
            created_at=self._clock(),
            duration=record.duration,
            **extra,
        )
