"""Signed, expiring URLs for a conversation's media files, added to whatever is sent out.

A file of a conversation's media item is fetched at

    /api/conversations/{conversation_id}/media/{media_id}/{variant}?exp={unix seconds}&sig={mac}

where `mac` is the unpadded base64url HMAC-SHA256, under a server secret, of the conversation,
media id, variant and expiry. Such a URL works without headers (an `<img src>`), for that one
file of that one conversation, until `exp`; changing any part of it breaks the signature. The
server signs URLs only for the conversation's own items (gallery.py), so a media id that is
shared with another conversation (same bytes) is still reachable only through URLs signed for
a conversation that holds it.

Events and snapshots are stored without URLs; the adapters pass them through `MediaLinks` on
the way out, so every answer carries URLs valid for a full TTL. Expiry is rounded up to a whole
step (an hour, or the TTL if shorter): URLs for one file signed within the same step are the
same string, so browsers keep using their cached copy instead of downloading it again.

Originals are signed only into agents' answers (join snapshot, REST); pushed events never carry
them, since one push goes to every member.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
from typing import Any

from covisor.clock import Clock
from covisor.errors import CovisorError
from covisor.events import Event, to_wire
from covisor.gallery import ORIGINAL, media_path, parse_media_path
from covisor.identity import Identity

_STEP_SECONDS = 3600.0
_MAX_EXP_DIGITS = 12


class MediaLinks:
    """Signs and checks media file URLs; `ttl` is how long a URL lasts, in seconds."""

    def __init__(self, secret: bytes, clock: Clock, ttl: float) -> None:
        if ttl <= 0:
            raise ValueError("the media URL TTL must be positive")
        self._secret = secret
        self._clock = clock
        self._ttl = ttl

    def url(self, conversation_id: str, media_id: str, variant: str) -> str:
        step = min(_STEP_SECONDS, self._ttl)
        expires = int(math.ceil((self._now() + self._ttl) / step) * step)
        mac = self._mac(conversation_id, media_id, variant, expires)
        return f"{media_path(conversation_id, media_id, variant)}?exp={expires}&sig={mac}"

    def verify(
        self, conversation_id: str, media_id: str, variant: str, exp: str | None, sig: str | None
    ) -> float:
        """Seconds the URL has left; `forbidden` if it was not signed so or has expired."""
        if not (exp and sig and exp.isascii() and exp.isdigit() and len(exp) <= _MAX_EXP_DIGITS):
            raise CovisorError("forbidden", "this media link is not valid")
        expected = self._mac(conversation_id, media_id, variant, int(exp))
        if not hmac.compare_digest(sig.encode(), expected.encode()):
            raise CovisorError("forbidden", "this media link is not valid")
        left = int(exp) - self._now()
        if left <= 0:
            raise CovisorError("forbidden", "this media link has expired; ask for a fresh one")
        return left

    def item(
        self, conversation_id: str, item: dict[str, Any], *, with_original: bool
    ) -> dict[str, Any]:
        """A gallery item with a signed `url` in each variant, plus `original` when asked."""
        media_id = item["id"]
        variants = {
            name: {**variant, "url": self.url(conversation_id, media_id, name)}
            for name, variant in item["variants"].items()
        }
        if with_original:
            variants[ORIGINAL] = {
                "url": self.url(conversation_id, media_id, ORIGINAL),
                "mime": item["mime"],
            }
        return {**item, "variants": variants}

    def viewer_media(
        self, conversation_id: str, media: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        """Shown media with its `src` and `poster` signed when they are the conversation's files."""
        if media is None:
            return None
        shown = dict(media)
        for key in ("src", "poster"):
            source = media.get(key)
            found = parse_media_path(source) if isinstance(source, str) else None
            if found and found.conversation_id == conversation_id and found.variant != ORIGINAL:
                shown[key] = self.url(conversation_id, found.media_id, found.variant)
        return shown

    def event(self, event: Event) -> dict[str, Any]:
        """The wire form of a sequenced event, with signed URLs where it names media files."""
        wire = to_wire(event)
        cid, data = event.conversation_id, wire["data"]
        if event.type == "media.ready":
            wire["data"] = {**data, "media": self.item(cid, data["media"], with_original=False)}
        elif event.type == "viewer.show":
            wire["data"] = {**data, "media": self.viewer_media(cid, data["media"])}
        return wire

    def snapshot(self, snapshot: dict[str, Any], reader: Identity) -> dict[str, Any]:
        """A join snapshot with signed URLs; originals only for an agent."""
        cid = snapshot["conversation_id"]
        return {
            **snapshot,
            "media": self.viewer_media(cid, snapshot["media"]),
            "media_items": [
                self.item(cid, item, with_original=reader.is_agent)
                for item in snapshot["media_items"]
            ],
        }

    def _now(self) -> float:
        return self._clock() / 1000.0

    def _mac(self, conversation_id: str, media_id: str, variant: str, expires: int) -> str:
        message = f"media.v1\n{conversation_id}\n{media_id}\n{variant}\n{expires}".encode()
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
