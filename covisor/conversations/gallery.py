"""A conversation's media: uploads being processed, the items they became, and what of them the
shared viewer may show.

Files are stored once per content (a media id is the SHA-256 of the original's bytes), so one photo
can belong to several conversations. What makes an item *this* conversation's is a `media.ready`
event in it, and that association is what authorises access: the server signs file URLs only for
the conversation's own items (media/links.py), and `viewer.show` takes an uploaded item only from
the conversation's gallery and never its original, which keeps the uploader's EXIF and location.

Events keep no URLs, because URLs expire: an item names its variants with their size and type,
the viewer names an item and a variant, and the adapters add freshly signed URLs whenever they
send an item or a viewer source out.

Pure domain code, like viewer.py: `decide` returns the event a command causes, `apply` changes
the state by an event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from covisor.kernel import commands as c
from covisor.kernel.errors import CovisorError
from covisor.kernel.events import Draft
from covisor.kernel.identity import Identity

ORIGINAL = "original"
"""The variant name of the uploaded file itself: for agents only, never shown in the viewer."""

DEFAULT_VARIANT = {"image": "display_webp", "video": "video"}
"""What the viewer shows of an item when the agent names no variant."""

POSTER_VARIANT = "poster_webp"

_FIRST_VARIANT = "display_jpeg"
"""All a photo has between its `media.ready` and its `media.updated` (media/pipeline.py)."""

_UPLOAD_ID = re.compile(r"[0-9a-f]{64}")


def is_upload(media_id: str) -> bool:
    """Whether `media_id` names an upload (the SHA-256 of its bytes) rather than a catalogue
    item, whose ids are never 64 hex digits."""
    return _UPLOAD_ID.fullmatch(media_id) is not None


def media_status(snapshot: dict[str, Any], media_id: str) -> dict[str, Any] | None:
    """From a conversation snapshot: the item with `"status": "ready"`, else the newest upload
    of it still processing with `"status": "processing"`, else None (not this conversation's)."""
    for item in snapshot["media_items"]:
        if item["id"] == media_id:
            return {"status": "ready", **item}
    for upload in reversed(snapshot["media_pending"]):
        if upload["media_id"] == media_id:
            return {"status": "processing", "id": media_id, **upload}
    return None


@dataclass
class Gallery:
    """`items`: media id → the item of its latest `media.ready` or `media.updated`, in order of
    first upload.
    `pending`: upload id → the `media.processing` data of uploads not finished yet."""

    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)

    def decide(self, actor: Identity, command: c.Command, max_items: int) -> Draft:
        """`max_items`: ready and pending items a conversation holds at most."""
        match command:
            case c.MediaReceived(upload_id=upload_id, media_id=media_id, kind=kind, name=name):
                if upload_id in self.pending:
                    raise CovisorError("conflict", f"upload {upload_id!r} is already under way")
                if media_id not in self.items and len(self.items) + len(self.pending) >= max_items:
                    raise CovisorError(
                        "conflict", f"this conversation holds {max_items} media items at most"
                    )
                return Draft(
                    "media.processing",
                    {
                        "upload_id": upload_id,
                        "media_id": media_id,
                        "kind": kind,
                        "name": name,
                        "uploaded_by": actor.public(),
                    },
                )
            case c.MediaReady(upload_id=upload_id, media=media):
                self._require_pending(upload_id)
                return Draft("media.ready", {"upload_id": upload_id, "media": media})
            case c.MediaUpdated(upload_id=upload_id, media=media):
                if media["id"] not in self.items:
                    raise CovisorError("conflict", f"media {media['id']!r} is not ready here")
                return Draft("media.updated", {"upload_id": upload_id, "media": media})
            case c.MediaFailed(upload_id=upload_id, media_id=media_id, reason=reason):
                self._require_pending(upload_id)
                return Draft(
                    "media.failed", {"upload_id": upload_id, "media_id": media_id, "reason": reason}
                )
        raise CovisorError("bad_request", f"{type(command).__name__} is not a media command")

    def _require_pending(self, upload_id: str) -> None:
        """An upload ends once: a second ending (a recovery racing the owner) is refused."""
        if upload_id not in self.pending:
            raise CovisorError("conflict", f"upload {upload_id!r} is not under way")

    def apply(self, type_: str, data: dict[str, Any], seq: int) -> None:
        """Apply a `media.*` event. A ready item keeps the `seq` at which its upload was announced
        (`media.processing`), where live clients showed it, so a snapshot places it there too."""
        if type_ == "media.processing":
            self.pending[data["upload_id"]] = {**data, "seq": seq}
        elif type_ == "media.ready":
            announced = self.pending.pop(data["upload_id"], {}).get("seq", seq)
            self.items[data["media"]["id"]] = {**data["media"], "seq": announced}
        elif type_ == "media.updated":
            shown = self.items.get(data["media"]["id"])
            if shown is not None:
                self.items[data["media"]["id"]] = {**data["media"], "seq": shown["seq"]}
        elif type_ == "media.failed":
            self.pending.pop(data["upload_id"], None)

    def snapshot(self) -> dict[str, Any]:
        return {
            "media_items": list(self.items.values()),
            "media_pending": list(self.pending.values()),
        }

    def viewer_media(self, media_id: str, variant: str | None) -> dict[str, Any]:
        """The viewer entry for one of this conversation's ready items, or the refusal.

        The entry names the item and its variant, never a URL (adapters sign one on the way
        out); the original is never shown, since it keeps the uploader's EXIF and location.
        """
        item = self.items.get(media_id)
        if item is None:
            raise CovisorError("bad_request", f"media {media_id!r} is not in this conversation")
        chosen = variant or _shown_by_default(item)
        if chosen == ORIGINAL:
            raise CovisorError("forbidden", "originals are never shown in the viewer")
        if chosen not in item["variants"]:
            raise CovisorError("bad_request", f"that media has no variant {chosen!r}")
        return viewer_entry(
            "upload",
            media_id,
            chosen,
            kind=item["kind"],
            title=item.get("name"),
            width=item.get("width"),
            height=item.get("height"),
            duration=item.get("duration"),
            poster=POSTER_VARIANT if POSTER_VARIANT in item["variants"] else None,
        )


def viewer_entry(
    source: str,
    media_id: str,
    variant: str,
    *,
    kind: str,
    title: str | None,
    width: int | None,
    height: int | None,
    duration: float | None = None,
    poster: str | None = None,
) -> dict[str, Any]:
    """What `viewer.show` stores: `source` is `upload` or `catalogue`, `id` that source's id,
    `variant` and `poster_variant` file names of it; optional facts are left out when unknown."""
    entry: dict[str, Any] = {"source": source, "id": media_id, "variant": variant, "kind": kind}
    facts = {
        "title": title,
        "width": width,
        "height": height,
        "duration": duration if kind == "video" else None,
        "poster_variant": poster if kind == "video" else None,
    }
    entry.update({key: value for key, value in facts.items() if value is not None})
    return entry


def _shown_by_default(item: dict[str, Any]) -> str:
    """The kind's default variant, or the photo's first picture while the rest is being made."""
    default = DEFAULT_VARIANT[item["kind"]]
    if default not in item["variants"] and _FIRST_VARIANT in item["variants"]:
        return _FIRST_VARIANT
    return default
