"""Media in the running server: uploads into conversations and the files they became.

An upload into a conversation is announced (`media.processing`) through the journal as soon as
its bytes are in and its type is accepted, processed off the event loop by the pipeline, and
ends as `media.ready` (the item joins the conversation's gallery) or `media.failed` (the upload
is refused and nothing of it is kept). The uploader's request waits for the outcome, so a
refusal found while decoding (a truncated photo, a decompression bomb) is still its answer.

The product catalogue, processed by the same pipeline, is catalogue.py's.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

from covisor.conversations.gallery import ORIGINAL, media_status
from covisor.conversations.journal import Journal
from covisor.conversations.quotas import AttemptLimit, Quotas
from covisor.conversations.service import ConversationService
from covisor.kernel import commands as c
from covisor.kernel.clock import TokenSource
from covisor.kernel.errors import CovisorError
from covisor.kernel.identity import Identity
from covisor.kernel.metrics import Metrics
from covisor.media import MediaPipeline, MediaRecord, StagedUpload
from covisor.media.annotate import Line, render_annotated
from covisor.media.catalogue import CatalogueService
from covisor.media.files import (
    ServedFile,
    derived_file,
    display_name,
    media_record,
    public_variants,
)
from covisor.media.links import MediaLinks

log = logging.getLogger(__name__)


def media_item(record: MediaRecord, name: str, uploaded_by: dict[str, str]) -> dict[str, Any]:
    """The gallery item a processed upload becomes (`media.ready` data): no URLs, see gallery.py."""
    item: dict[str, Any] = {
        "id": record.id,
        "kind": record.kind,
        "mime": record.mime,
        "bytes": record.size,
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


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _claim_name(conversation_id: str, upload_id: str) -> str:
    """The claim file of an upload: both ids are letters, digits, `_` and `-` only."""
    return f"{conversation_id}~{upload_id}"


class MediaService:
    """Feeds uploads through `pipeline` into conversations and serves their files."""

    def __init__(
        self,
        journal: Journal,
        conversations: ConversationService,
        links: MediaLinks,
        pipeline: MediaPipeline,
        catalogue: CatalogueService,
        tokens: TokenSource,
        *,
        quotas: Quotas,
        uploads_per_conversation: AttemptLimit,
        bytes_per_conversation: AttemptLimit,
        metrics: Metrics,
    ) -> None:
        self._metrics = metrics
        self.accepting = True
        self._in_flight = 0
        self._quotas = quotas
        self._uploads = uploads_per_conversation
        self._bytes = bytes_per_conversation
        self._journal = journal
        self._conversations = conversations
        self._links = links
        self.pipeline = pipeline
        self._catalogue = catalogue
        self._tokens = tokens

    async def check_uploader(self, uploader: Identity, conversation_id: str) -> None:
        """Refuse before a byte is read: non-members, unknown and closed conversations, and a
        conversation over its upload quotas (this upload is counted)."""
        await self._conversations.open_summary(uploader, conversation_id)
        await self._admit(conversation_id)

    async def _admit(self, conversation_id: str) -> None:
        """A new upload into the conversation, unless this process is draining or the
        conversation is over its quotas (the upload is counted)."""
        if not self.accepting:
            raise CovisorError("unavailable", "this server is restarting; upload again")
        await self._quotas.check("upload-bytes:" + conversation_id, self._bytes, "upload bytes")
        await self._quotas.spend("uploads:" + conversation_id, self._uploads, "uploads")

    def new_upload_id(self) -> str:
        return "u_" + self._tokens(9)

    async def upload(
        self,
        uploader: Identity,
        conversation_id: str,
        upload_id: str,
        chunks: AsyncIterable[bytes],
        filename: str | None,
    ) -> dict[str, Any]:
        """Receive, announce, process and add an upload to the conversation's gallery.

        `upload_id` (the client's choice, or `new_upload_id()`) names the upload in its
        `media.*` events and in the answer. Returns the ready item as its uploader sees it.
        Raises the refusal (`MediaError` or another `CovisorError`) after announcing it as
        `media.failed` if it had been announced.
        """
        journal = self._journal
        name = display_name(filename)
        announced: list[str] = []
        claim = _claim_name(conversation_id, upload_id)
        self.pipeline.store.claim(claim)
        self._in_flight += 1
        jobs = self._metrics.media_jobs
        started = time.perf_counter()
        jobs.labels("receiving").inc()
        state = ["receiving"]

        async def announce(staged: StagedUpload) -> None:
            received = c.MediaReceived(
                conversation_id=conversation_id,
                upload_id=upload_id,
                media_id=staged.sha256,
                kind=staged.media_type.kind,
                name=name,
            )
            await self._quotas.add("upload-bytes:" + conversation_id, self._bytes, staged.size)
            await journal.submit(uploader, received)
            announced.append(staged.sha256)
            jobs.labels("receiving").dec()
            jobs.labels("processing").inc()
            state[0] = "processing"

        shown: list[dict[str, Any]] = []

        async def ready(record: MediaRecord) -> None:
            item = media_item(record, name, uploader.public())
            ready = c.MediaReady(conversation_id=conversation_id, upload_id=upload_id, media=item)
            await journal.submit(uploader, ready)
            shown.append(item)
            since = time.perf_counter() - started
            self._metrics.media_shown_seconds.labels(record.kind).observe(since)

        try:
            try:
                record = await self.pipeline.ingest(chunks, announce, ready)
            except BaseException as refusal:
                reason = refusal.code if isinstance(refusal, CovisorError) else "internal"
                self._metrics.media_failures.labels(reason).inc()
                if announced and not shown:
                    await self._fail(uploader, conversation_id, upload_id, announced[0], reason)
                raise
            item = media_item(record, name, uploader.public())
            if item != shown[0]:
                await self._update(uploader, conversation_id, upload_id, item)
            self._metrics.media_seconds.labels(record.kind).observe(time.perf_counter() - started)
        finally:
            jobs.labels(state[0]).dec()
            self.pipeline.store.release(claim)
            self._in_flight -= 1
        found = {"status": "ready", "upload_id": upload_id, **item}
        return self._present(conversation_id, found, uploader)

    async def _update(
        self, uploader: Identity, conversation_id: str, upload_id: str, item: dict[str, Any]
    ) -> None:
        """The rest of a shown photo's variants, to the conversation; a conversation that no
        longer takes it (erased meanwhile) keeps the first picture."""
        updated = c.MediaUpdated(conversation_id=conversation_id, upload_id=upload_id, media=item)
        try:
            await self._journal.submit(uploader, updated)
        except CovisorError as refusal:
            log.warning("upload %s keeps its first picture: %s", upload_id, refusal.message)

    async def drain(self) -> None:
        """Take no new upload; return once the uploads under way have ended."""
        self.accepting = False
        while self._in_flight:
            await asyncio.sleep(0.01)

    async def annotate(
        self, member: Identity, conversation_id: str, upload_id: str
    ) -> dict[str, Any]:
        """Save the picture the viewer shows, with its strokes drawn on it (rendered here, in
        the worker pool, from the stored strokes), as a new upload of `member`'s into the
        conversation; returns the ready item, as `upload` does."""
        await self._conversations.open_summary(member, conversation_id)
        snapshot = await self._conversations.committed_snapshot(conversation_id)
        shown = snapshot["media"]
        if shown is None or "source" not in shown:
            raise CovisorError("bad_request", "nothing is shown in the viewer")
        if shown["kind"] != "image":
            raise CovisorError("bad_request", "only a picture can be saved with its strokes")
        await self._admit(conversation_id)
        if shown["source"] in ("upload", "product"):  # a product's picture is its media id
            record = await media_record(self.pipeline, shown["id"])
            source = derived_file(self.pipeline, record, shown["variant"])
        else:
            source = await self._catalogue.file(shown["id"], shown["variant"])
        lines = [
            Line(s["color"], s["width"], [(x, y) for x, y in s["points"]])
            for s in snapshot["strokes"]
        ]
        png = await self.pipeline.offload.run(render_annotated, source.path, lines)
        name = f"{shown.get('title') or 'picture'} (annotated).png"
        return await self.upload(member, conversation_id, upload_id, _once(png), name)

    async def recover(self) -> int:
        """Finish the uploads a dead process left under way, in every conversation.

        An upload is abandoned when no live process claims it (blobs.py): its files were
        processed (the process died before recording it) and it becomes `media.ready`, or they
        were not and it becomes `media.failed` with reason `unavailable`. A photo it had shown
        but not finished (killed between `media.ready` and `media.updated`) is finished from
        its original. Run on start-up, before `BlobStore.sweep` removes the dead process's
        claims and half-written files. Returns how many uploads were ended or finished.
        """
        ended = 0
        for conversation_id in await self._conversations.with_pending_uploads():
            snapshot = await self._conversations.committed_snapshot(conversation_id)
            for pending in snapshot["media_pending"]:
                upload_id, media_id = pending["upload_id"], pending["media_id"]
                if await self.pipeline.store.claimed_alive(_claim_name(conversation_id, upload_id)):
                    continue
                by = pending["uploaded_by"]
                uploader = Identity(by["id"], by["role"], by["name"], conversation_id)
                record = await self.pipeline.get(media_id)
                try:
                    if record is None:
                        failed = c.MediaFailed(
                            conversation_id=conversation_id,
                            upload_id=upload_id,
                            media_id=media_id,
                            reason="unavailable",
                        )
                        await self._journal.submit(uploader, failed)
                    else:
                        item = media_item(record, pending["name"], by)
                        ready = c.MediaReady(
                            conversation_id=conversation_id, upload_id=upload_id, media=item
                        )
                        await self._journal.submit(uploader, ready)
                except CovisorError as refusal:
                    log.warning("upload %s left under way: %s", upload_id, refusal.message)
                    continue
                ended += 1
        for claim in await self.pipeline.store.abandoned_claims():
            conversation_id, _, upload_id = claim.partition("~")
            ended += await self._finish_shown(conversation_id, upload_id)
        return ended

    async def _finish_shown(self, conversation_id: str, upload_id: str) -> int:
        """A photo a dead process showed (`media.ready`) but did not finish: its other variants
        made again from the original, and `media.updated`. 1 if so, else 0."""
        shown = await self._conversations.ready_upload(conversation_id, upload_id)
        record = None if shown is None else await self.pipeline.get(shown["id"])
        if shown is None or record is None or record.complete:
            return 0
        try:
            whole = await self.pipeline.finish(record)
        except (FileNotFoundError, CovisorError) as exc:
            log.warning("upload %s keeps its first picture: %s", upload_id, exc)
            return 0
        by = shown["uploaded_by"]
        uploader = Identity(by["id"], by["role"], by["name"], conversation_id)
        item = media_item(whole, shown["name"], by)
        await self._update(uploader, conversation_id, upload_id, item)
        return 1

    async def status(self, reader: Identity, conversation_id: str, media_id: str) -> dict[str, Any]:
        """A member's look at one media item of the conversation: ready or still processing."""
        snapshot = await self._conversations.snapshot(reader, conversation_id)
        found = media_status(snapshot, media_id)
        if found is None:
            raise CovisorError("not_found", "no such media in this conversation")
        return self._present(conversation_id, found, reader)

    async def conversation_file(
        self, conversation_id: str, media_id: str, variant: str, exp: str | None, sig: str | None
    ) -> tuple[ServedFile, float]:
        """The file a signed URL names and the seconds the URL has left; `forbidden` if the
        signature does not hold, `not_found` if there is no such file."""
        left = self._links.verify(conversation_id, media_id, variant, exp, sig)
        if not await self._conversations.exists(conversation_id):
            raise CovisorError("not_found", "no such conversation")
        record = await media_record(self.pipeline, media_id)
        if variant == ORIGINAL:
            extension = record.mime.rsplit("/", 1)[-1]
            path = await self.pipeline.store.local_blob(media_id)
            return ServedFile(path, record.mime, f"original.{extension}"), left
        return derived_file(self.pipeline, record, variant), left

    async def _fail(
        self, uploader: Identity, conversation_id: str, upload_id: str, media_id: str, reason: str
    ) -> None:
        failed = c.MediaFailed(
            conversation_id=conversation_id, upload_id=upload_id, media_id=media_id, reason=reason
        )
        try:
            await self._journal.submit(uploader, failed)
        except CovisorError as refusal:
            log.warning("could not record that upload %s failed: %s", upload_id, refusal.message)

    def _present(
        self, conversation_id: str, found: dict[str, Any], reader: Identity
    ) -> dict[str, Any]:
        if found["status"] != "ready":
            return found
        return self._links.item(conversation_id, found, with_original=reader.is_agent)
