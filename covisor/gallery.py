"""A conversation's media: uploads being processed, the items they became, and what of them the
shared viewer may show.

Files are stored once per content (a media id is the SHA-256 of the original's bytes), so one photo
can belong to several conversations. What makes an item *this* conversation's is a `media.ready`
event in it, and that association is what authorises access: the server signs file URLs only for
the conversation's own items (media_links.py), and `viewer.show` takes an uploaded item only from
the conversation's gallery and never its original, which keeps the uploader's EXIF and location.

Events keep no URLs, because URLs expire: an item names its variants with their size and type,
and the adapters add freshly signed URLs whenever they send an item or a viewer source out.
Pure domain code, like viewer.py: `decide` returns the event a command causes, `apply` changes
the state by an event.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import msgspec

from covisor import commands as c
from covisor.errors import CovisorError
from covisor.events import Draft
from covisor.identity import Identity

ORIGINAL = "original"
"""The variant name of the uploaded file itself: for agents only, never shown in the viewer."""

_MEDIA_PATH = re.compile(
    r"/api/conversations/(?P<cid>[^/]+)/media/(?P<mid>[0-9a-f]{64})/(?P<variant>[a-z_]{1,32})"
)


@dataclass(frozen=True)
class MediaPath:
    """What a conversation media file path names."""

    conversation_id: str
    media_id: str
    variant: str


def media_path(conversation_id: str, media_id: str, variant: str) -> str:
    """The unsigned path of a conversation's media file; the URL adds `?exp=…&sig=…`."""
    return f"/api/conversations/{conversation_id}/media/{media_id}/{variant}"


def parse_media_path(src: str) -> MediaPath | None:
    """The conversation media file `src` points at, or None if it points elsewhere.

    `src` is read as a browser resolves it before requesting it: query and fragment dropped,
    percent-escapes decoded, backslashes taken as slashes and dot segments resolved. So no
    spelling of a media URL (`%6Friginal`, `/x/../api/…`) passes for a path that is not one.
    """
    path = re.split(r"[?#]", src, maxsplit=1)[0]
    path = posixpath.normpath(unquote(path).replace("\\", "/"))
    found = _MEDIA_PATH.fullmatch(path)
    if found is None:
        return None
    return MediaPath(found["cid"], found["mid"], found["variant"])


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
    """`items`: media id → the item of its latest `media.ready`, in order of first upload.
    `pending`: upload id → the `media.processing` data of uploads not finished yet."""

    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)

    def decide(self, actor: Identity, command: c.Command) -> Draft:
        match command:
            case c.MediaReceived(upload_id=upload_id, media_id=media_id, kind=kind, name=name):
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
                return Draft("media.ready", {"upload_id": upload_id, "media": media})
            case c.MediaFailed(upload_id=upload_id, media_id=media_id, reason=reason):
                return Draft(
                    "media.failed", {"upload_id": upload_id, "media_id": media_id, "reason": reason}
                )
        raise CovisorError("bad_request", f"{type(command).__name__} is not a media command")

    def apply(self, type_: str, data: dict[str, Any], seq: int) -> None:
        """Apply a `media.*` event. A ready item keeps the `seq` at which its upload was announced
        (`media.processing`), where live clients showed it, so a snapshot places it there too."""
        if type_ == "media.processing":
            self.pending[data["upload_id"]] = {**data, "seq": seq}
        elif type_ == "media.ready":
            announced = self.pending.pop(data["upload_id"], {}).get("seq", seq)
            self.items[data["media"]["id"]] = {**data["media"], "seq": announced}
        elif type_ == "media.failed":
            self.pending.pop(data["upload_id"], None)

    def snapshot(self) -> dict[str, Any]:
        return {
            "media_items": list(self.items.values()),
            "media_pending": list(self.pending.values()),
        }

    def shown(self, conversation_id: str, media: c.Media) -> c.Media:
        """`media` as the viewer keeps it, or the refusal to show it.

        Sources that name a conversation media file must be this conversation's item (`id`),
        a variant it has, not the original; they are kept as their unsigned path. Other
        same-origin paths (catalogue products) are kept as given.
        """
        src = self._own_source(conversation_id, media.id, media.src)
        poster = media.poster and self._own_source(conversation_id, media.id, media.poster)
        return msgspec.structs.replace(media, src=src, poster=poster)

    def _own_source(self, conversation_id: str, media_id: str, source: str) -> str:
        found = parse_media_path(source)
        if found is None:
            return source
        if found.conversation_id != conversation_id:
            raise CovisorError("forbidden", "that media belongs to another conversation")
        if found.variant == ORIGINAL:
            raise CovisorError("forbidden", "originals are never shown in the viewer")
        item = self.items.get(found.media_id)
        if item is None or found.media_id != media_id:
            raise CovisorError("bad_request", f"media {media_id!r} is not in this conversation")
        if found.variant not in item["variants"]:
            raise CovisorError("bad_request", f"that media has no variant {found.variant!r}")
        return media_path(conversation_id, found.media_id, found.variant)
