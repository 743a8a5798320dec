"""The shopper's data under the shop's control: erasure, export and retention.

- `erase` removes a conversation's events (messages, strokes, everything), its row, PINs and
  counters, and the media files only it refers to: files are stored once per content, so a
  photo another conversation (or the catalogue, or a product's picture) also holds stays for
  them. Its signed URLs stop
  working at once (a file is served only for a conversation that exists).
- `export` writes a zip: `conversation.json` (the summary and every event, as sent to clients
  but without URLs) and `media/<media id>/<variant file>` for each of its processed uploads, as
  served (no originals: they keep the uploader's EXIF and location).
- `erase_customer` erases every conversation of one verified customer id.
- `sweep` erases conversations closed longer ago than `retention_days`; it is safe to run in
  several processes at once (erasing twice does nothing more).
"""

from __future__ import annotations

import asyncio
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from covisor.kernel.clock import Clock
from covisor.kernel.events import to_wire
from covisor.media import BlobStore, MediaPipeline
from covisor.media.files import public_variants
from covisor.store import Store

DAY_MS = 24 * 3600 * 1000.0
_ALL = 1 << 30


class Privacy:
    def __init__(
        self,
        store: Store,
        pipeline: MediaPipeline,
        *,
        retention_days: float,
        clock: Clock,
        forget: Callable[[str], None] = lambda conversation_id: None,
    ) -> None:
        """`forget` is told each erased conversation (the journal drops its cached state)."""
        self._forget = forget
        self._store = store
        self._pipeline = pipeline
        self._retention_days = retention_days
        self._clock = clock

    @property
    def _blobs(self) -> BlobStore:
        return self._pipeline.store

    async def erase(self, conversation_id: str) -> bool:
        """Erase a conversation and the files only it holds; False if there was none."""
        media_ids = await self._media_of(conversation_id)
        erased = await self._store.erase_conversation(conversation_id)
        self._forget(conversation_id)
        in_use = await self._store.media_in_use(sorted(media_ids))
        for media_id in media_ids - in_use:
            await self._blobs.remove(media_id)
        return erased

    async def erase_customer(self, customer_id: str) -> int:
        """Erase every conversation of a verified customer (the shop's `customer_id`, as its
        signed `covisor.identify` gave it); how many."""
        erased = 0
        while found := await self._store.conversations(customer_id=customer_id, limit=500):
            for record in found:
                erased += await self.erase(record.id)
        return erased

    async def export(self, conversation_id: str, out: Path) -> bool:
        """Write the conversation's zip to `out`; False (and nothing written) if there is none."""
        record = await self._store.summary(conversation_id)
        if record is None:
            return False
        events = await self._store.events_after(conversation_id, 0, _ALL)
        files: list[tuple[Path, str]] = []
        for media_id in sorted(await self._ready_media_of(conversation_id)):
            media = await self._pipeline.get(media_id)
            if media is None:
                continue
            derived = self._blobs.derived_dir(media_id)
            for variant in public_variants(media).values():
                files.append((derived / variant.path, f"media/{media_id}/{variant.path}"))
        document = {"conversation": record.to_wire(), "events": [to_wire(e) for e in events]}
        await asyncio.to_thread(_write_zip, out, document, files)
        return True

    async def sweep(self) -> int:
        """Erase the conversations closed more than `retention_days` ago; how many."""
        before = self._clock() - self._retention_days * DAY_MS
        erased = 0
        for conversation_id in await self._store.closed_before(before):
            erased += await self.erase(conversation_id)
        return erased

    async def _media_of(self, conversation_id: str) -> set[str]:
        announced = await self._store.events_of_type(
            conversation_id, "media.processing", None, _ALL
        )
        return {event.data["media_id"] for event in announced}

    async def _ready_media_of(self, conversation_id: str) -> set[str]:
        ready = await self._store.events_of_type(conversation_id, "media.ready", None, _ALL)
        return {event.data["media"]["id"] for event in ready}


def _write_zip(out: Path, document: dict[str, Any], files: list[tuple[Path, str]]) -> None:
    """Write to a temp name, then rename: a reader never sees half a zip."""
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("conversation.json", json.dumps(document, ensure_ascii=False, indent=1))
        for path, name in files:
            if path.is_file():
                archive.write(path, name)
    partial.replace(out)
