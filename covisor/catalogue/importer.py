"""Catalogue imports: a feed (uploaded, or fetched from the shop's URL) into the products.

An import is incremental and crash-safe:

- The feed is first kept whole in the import area (a file of the data directory), then read
  as a stream in a worker thread (`feed.read_feed`), a batch of items at a time.
- Each batch is written in one transaction with the import's counts so far: the items that
  are new or whose content changed (by digest) are upserted with their search index, the
  unchanged ones are only marked as listed by this import. An unchanged product costs a
  digest comparison; a killed process leaves every product wholly old or wholly new.
- Once the feed has been read to its end, the products it did not list are marked removed, in
  the transaction that records the import done. A feed that failed (broken XML, too big, not
  a feed) or listed no valid product removes nothing.
- A running import is leased to its process and the lease is renewed while it runs; when a
  process dies, another (or the same one restarted) takes over the lapsed import and runs it
  again from its kept file: what the dead process wrote is recognised as already listed by
  this import and is not counted twice.
- Pictures of new or changed products, and any picture not fetched yet, are fetched with
  bounded concurrency (pictures.py); a picture that fails is reported on its product and
  fails nothing else. The import is done when its pictures are.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from collections.abc import AsyncIterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiofiles

from covisor.catalogue.feed import FeedError, FeedItem, ItemError, read_feed
from covisor.catalogue.fetching import Fetcher, FetchError
from covisor.catalogue.pictures import Pictures
from covisor.catalogue.products import product_record
from covisor.catalogue.search import indexed
from covisor.kernel.clock import Clock, TokenSource
from covisor.kernel.errors import CovisorError
from covisor.store.products import IndexedProduct, ProductStore
from covisor.store.records import (
    FeedScheduleRecord,
    ImportRecord,
    ImportState,
    ProductRecord,
)

log = logging.getLogger(__name__)

MAX_ERRORS = 500
"""Per-product errors an import's report keeps (the count goes on)."""


@dataclass(frozen=True)
class ImportOptions:
    feed_limit: int
    """Bytes a feed may have, uncompressed."""
    batch_size: int = 500
    lease: float = 30_000.0
    """Milliseconds a running import stays its process's without a renewal."""
    picture_backlog: int = 64
    """Pictures waiting for a fetch before reading the feed pauses."""


class Busy(CovisorError):
    def __init__(self) -> None:
        super().__init__("conflict", "an import is running; wait for it to finish")


class _Run:
    """One run of an import: its record as it progresses, and its pictures in flight."""

    def __init__(self, record: ImportRecord) -> None:
        self.record = record
        self.pictures: set[asyncio.Task[None]] = set()
        self.picture_failures = 0

    def count(self, **changes: int) -> None:
        self.record = dataclasses.replace(
            self.record,
            **{name: getattr(self.record, name) + value for name, value in changes.items()},
        )

    def error(self, product_id: str | None, reason: str) -> None:
        errors = self.record.errors
        if len(errors) < MAX_ERRORS:
            errors = (*errors, {"id": product_id or "", "reason": reason})
        self.record = dataclasses.replace(self.record, errors=errors)


class CatalogueImports:
    """Starts, runs, resumes and reports imports; one runs at a time across processes."""

    def __init__(
        self,
        products: ProductStore,
        pictures: Pictures,
        fetcher: Fetcher,
        area: Path,
        options: ImportOptions,
        *,
        clock: Clock,
        tokens: TokenSource,
    ) -> None:
        self._products = products
        self._pictures = pictures
        self._fetcher = fetcher
        self._area = area
        self._options = options
        self._clock = clock
        self._tokens = tokens
        self._running: dict[str, asyncio.Task[None]] = {}

    async def open(self) -> None:
        await asyncio.to_thread(self._area.mkdir, parents=True, exist_ok=True)

    async def close(self) -> None:
        """Stop the imports of this process; their leases lapse and a next start resumes them."""
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def idle(self) -> None:
        """Wait for the imports this process runs (tests, the demo's seeding)."""
        while self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)

    async def from_file(self, chunks: AsyncIterable[bytes]) -> ImportRecord:
        """Keep an uploaded feed and start importing it; `too_large` past the feed limit."""
        import_id = "imp_" + self._tokens(9)
        path = self._area / f"{import_id}.feed"
        try:
            await _save(chunks, path, self._options.feed_limit)
        except BaseException:
            await asyncio.to_thread(path.unlink, missing_ok=True)
            raise
        return await self._start(import_id, "file", file=path)

    async def from_url(self, url: str) -> ImportRecord:
        """Start importing the feed at `url` (checked against the outbound rule first)."""
        self._fetcher.check(url, "url")
        return await self._start("imp_" + self._tokens(9), "url", url=url)

    async def status(self, import_id: str) -> ImportRecord:
        record = await self._products.import_record(import_id)
        if record is None:
            raise CovisorError("not_found", "no such import")
        return record

    async def recent(self, limit: int = 10) -> list[ImportRecord]:
        return await self._products.recent_imports(limit)

    async def resume(self) -> int:
        """Take over and run every import whose process died; returns how many."""
        taken = 0
        while True:
            now = self._clock()
            record = await self._products.take_over_import(now, now + self._options.lease)
            if record is None:
                return taken
            log.info("resuming catalogue import %s", record.id)
            self._launch(record)
            taken += 1

    async def scheduled(self) -> ImportRecord | None:
        """Start the scheduled feed's import if it is due (and none is running)."""
        schedule = await self._products.feed_schedule()
        if schedule is None or schedule.next_at > self._clock():
            return None
        try:
            return await self.from_url(schedule.url)
        except Busy:
            return None

    async def _start(
        self, import_id: str, source: str, *, url: str | None = None, file: Path | None = None
    ) -> ImportRecord:
        now = self._clock()
        record = ImportRecord(
            id=import_id,
            source=source,
            state="running",
            started_at=now,
            url=url,
            file=None if file is None else str(file),
            lease_until=now + self._options.lease,
        )
        if not await self._products.create_import(record):
            if file is not None:
                await asyncio.to_thread(file.unlink, missing_ok=True)
            raise Busy()
        self._launch(record)
        return record

    def _launch(self, record: ImportRecord) -> None:
        task = asyncio.create_task(self._run(_Run(record)))
        self._running[record.id] = task
        task.add_done_callback(lambda _: self._running.pop(record.id, None))

    async def _run(self, run: _Run) -> None:
        renewal = asyncio.create_task(self._renew(run.record.id))
        try:
            await self._import(run)
        finally:
            # Stopped mid-import (`close`): its picture fetches stop too, before the media
            # workers they run in do.
            for task in (renewal, *run.pictures):
                task.cancel()
            await asyncio.gather(renewal, *run.pictures, return_exceptions=True)

    async def _renew(self, import_id: str) -> None:
        while True:
            await asyncio.sleep(self._options.lease / 3000.0)
            await self._products.renew_import(import_id, self._clock() + self._options.lease)

    async def _import(self, run: _Run) -> None:
        reason: str | None = None
        listed = 0
        try:
            path = await self._feed_file(run)
            if path is None:
                await self._finish(run, "done", None, remove=False)
                return
            listed = await self._read(run, path)
        except (FeedError, FetchError) as exc:
            reason = str(exc)
        except CovisorError as exc:
            reason = exc.message
        await self._drain(run)
        if reason is None and listed == 0:
            reason = "the feed lists no valid product; nothing was removed"
        await self._finish(run, "failed" if reason else "done", reason, remove=reason is None)

    async def _finish(
        self, run: _Run, state: ImportState, reason: str | None, *, remove: bool
    ) -> None:
        now = self._clock()
        record = dataclasses.replace(
            run.record, state=state, reason=reason, finished_at=now, lease_until=now
        )
        removed = await self._products.finish_import(record, remove_unlisted=remove)
        if record.file is not None:
            await asyncio.to_thread(Path(record.file).unlink, missing_ok=True)
        log.info(
            "catalogue import %s %s: %d added, %d updated, %d unchanged, %d removed, %d failed",
            record.id,
            state,
            record.added,
            record.updated,
            record.unchanged,
            record.removed + removed,
            record.failed,
        )

    async def _feed_file(self, run: _Run) -> Path | None:
        """The feed's local file: kept from the upload or an earlier run, else fetched now
        (None when the scheduled feed answered 304: nothing changed)."""
        record = run.record
        if record.file is not None and os.path.exists(record.file):
            return Path(record.file)
        if record.url is None:
            raise FeedError("the uploaded file is gone (its server stopped); upload it again")
        path = self._area / f"{record.id}.feed"
        schedule = await self._products.feed_schedule()
        ours = schedule is not None and schedule.url == record.url
        async with self._fetcher.get(
            record.url,
            "url",
            etag=schedule.etag if ours and schedule else None,
            last_modified=schedule.last_modified if ours and schedule else None,
        ) as answer:
            if answer.status == 200:
                await _save(answer.chunks, path, self._options.feed_limit)
        if ours and schedule is not None:
            await self._products.set_feed_schedule(
                dataclasses.replace(
                    schedule,
                    etag=answer.etag or schedule.etag,
                    last_modified=answer.last_modified or schedule.last_modified,
                    next_at=self._clock() + schedule.every_minutes * 60_000.0,
                )
            )
        if answer.status == 304:
            run.record = dataclasses.replace(
                run.record, reason="the feed has not changed since the last import"
            )
            return None
        run.record = dataclasses.replace(run.record, file=str(path))
        return path

    async def _read(self, run: _Run, path: Path) -> int:
        """Import the feed at `path` batch by batch; returns how many valid items it listed."""
        batches = read_feed(
            path, max_bytes=self._options.feed_limit, batch_size=self._options.batch_size
        )
        resumed_at = run.record.processed
        listed = 0
        try:
            while (batch := await asyncio.to_thread(next, batches, None)) is not None:
                items = [entry for entry in batch if isinstance(entry, FeedItem)]
                listed += len(items)
                start = run.record.processed
                for entry in batch:
                    if isinstance(entry, ItemError) and entry.position > resumed_at:
                        run.count(failed=1)
                        run.error(entry.id, entry.reason)
                await self._write(run, items, start + len(batch))
        finally:
            await asyncio.to_thread(_close, batches)
        return listed

    async def _write(self, run: _Run, items: Sequence[FeedItem], processed: int) -> None:
        now = self._clock()
        import_id = run.record.id
        known = await self._products.product_digests([item.id for item in items], import_id)
        changed: list[IndexedProduct] = []
        seen: list[str] = []
        for item in items:
            product = product_record(item, now)
            digest, live, listed_here = known.get(item.id, ("", False, False))
            if listed_here:
                continue
            if digest == product.digest and live:
                seen.append(item.id)
                run.count(unchanged=1)
                continue
            run.count(added=0 if live else 1, updated=1 if live else 0)
            changed.append(indexed(product))
        run.record = dataclasses.replace(run.record, processed=processed)
        await self._products.write_products(import_id, changed, seen, run.record)
        await self._queue_pictures(run, [p.product for p in changed], items)

    async def _queue_pictures(
        self, run: _Run, changed: Sequence[ProductRecord], items: Sequence[FeedItem]
    ) -> None:
        """Fetch the pictures of changed products that failed or were never fetched, and
        those of any product that were never fetched (a resumed import's, say)."""
        owners: dict[str, str] = {}
        for item in items:
            for url in (item.image_link, *item.additional_image_links):
                owners.setdefault(url, item.id)
        known = await self._products.product_images(list(owners))
        retry = {url for product in changed for url in product.images}
        for url, product_id in owners.items():
            image = known.get(url)
            if image is None or (image.media_id is None and url in retry):
                while len(run.pictures) >= self._options.picture_backlog:
                    await asyncio.wait(run.pictures, return_when=asyncio.FIRST_COMPLETED)
                task = asyncio.create_task(self._picture(run, url, product_id))
                run.pictures.add(task)
                task.add_done_callback(run.pictures.discard)

    async def _picture(self, run: _Run, url: str, product_id: str) -> None:
        image = await self._pictures.fetch(url)
        if image.error is not None:
            run.picture_failures += 1
            run.error(product_id, image.error)

    async def _drain(self, run: _Run) -> None:
        while run.pictures:
            await asyncio.gather(*list(run.pictures), return_exceptions=True)

    async def schedule(self, url: str, every_minutes: int) -> FeedScheduleRecord:
        """Fetch the feed at `url` every `every_minutes`, the first time now."""
        self._fetcher.check(url, "url")
        record = FeedScheduleRecord(url=url, every_minutes=every_minutes, next_at=self._clock())
        await self._products.set_feed_schedule(record)
        return record

    async def unschedule(self) -> None:
        await self._products.set_feed_schedule(None)

    async def feed(self) -> FeedScheduleRecord | None:
        return await self._products.feed_schedule()


def _close(batches: Iterator[object]) -> None:
    close = getattr(batches, "close", None)
    if close is not None:
        close()


async def _save(chunks: AsyncIterable[bytes], path: Path, limit: int) -> None:
    """Write `chunks` to `path` through a temp name, refusing more than `limit` bytes."""
    partial = path.with_name(path.name + ".partial")
    received = 0
    try:
        async with aiofiles.open(partial, "wb") as out:
            async for chunk in chunks:
                received += len(chunk)
                if received > limit:
                    raise CovisorError("too_large", f"the feed is over {limit / 1e6:g} MB")
                await out.write(chunk)
        await asyncio.to_thread(partial.replace, path)
    finally:
        await asyncio.to_thread(partial.unlink, missing_ok=True)
