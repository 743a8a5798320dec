"""Where media files are served, and the signed URLs added to whatever is sent out.

This module alone knows the shape of media URLs: the routes of web/media.py are built from its
templates, and nothing in the domain sees a URL. Catalogue files are public and stable:

    /api/catalogue/{item_id}/{variant}

Product pictures of the feed catalogue are public and stable too:

    /api/catalogue/pictures/{media_id}/{variant}

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
import posixpath
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from covisor.conversations.gallery import ORIGINAL
from covisor.kernel.clock import Clock
from covisor.kernel.errors import CovisorError
from covisor.kernel.events import Event, to_wire
from covisor.kernel.identity import Identity

_STEP_SECONDS = 3600.0
_MAX_EXP_DIGITS = 12

CONVERSATION_FILE = "/api/conversations/{conversation_id}/media/{media_id}/{variant}"
CATALOGUE_FILE = "/api/catalogue/{item_id}/{variant}"
PICTURE_FILE = "/api/catalogue/pictures/{media_id}/{variant}"
PATTERNS = {
    "conversation_id": r"[^/]+",
    "media_id": r"[0-9a-f]{64}",
    "item_id": r"[A-Za-z0-9_-]{1,64}",
    "variant": r"[a-z_]{1,32}",
}
"""What each part of a media URL may be: route patterns for aiohttp and the parser alike."""


def route(template: str) -> str:
    """`template` as an aiohttp route, each part constrained by its pattern."""
    return re.sub(r"\{(\w+)\}", lambda m: f"{{{m[1]}:{PATTERNS[m[1]]}}}", template)


def _matcher(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\{(\w+)\}", lambda m: f"(?P<{m[1]}>{PATTERNS[m[1]]})", template))


_CONVERSATION_FILE = _matcher(CONVERSATION_FILE)
_CATALOGUE_FILE = _matcher(CATALOGUE_FILE)


@dataclass(frozen=True)
class FileRef:
    """The file a media URL names: a conversation's (`conversation_id` set) or the catalogue's."""

    media_id: str
    variant: str
    conversation_id: str | None = None


def parse_source(src: str) -> FileRef | None:
    """The media file `src` names, or None if it names none; for the old `viewer.show` form.

    `src` is read as a browser resolves it before requesting it: query and fragment dropped,
    percent-escapes decoded, backslashes taken as slashes and dot segments resolved. So no
    spelling of a media URL (`%6Friginal`, `/x/../api/…`) passes for a path that is not one.
    """
    path = re.split(r"[?#]", src, maxsplit=1)[0]
    path = posixpath.normpath(unquote(path).replace("\\", "/"))
    if found := _CONVERSATION_FILE.fullmatch(path):
        return FileRef(found["media_id"], found["variant"], found["conversation_id"])
    if found := _CATALOGUE_FILE.fullmatch(path):
        return FileRef(found["item_id"], found["variant"])
    return None


def catalogue_url(item_id: str, variant: str) -> str:
    return CATALOGUE_FILE.format(item_id=item_id, variant=variant)


def picture_url(media_id: str, variant: str) -> str:
    """A product picture's file (the feed catalogue's): public and stable, like the above."""
    return PICTURE_FILE.format(media_id=media_id, variant=variant)


def product_links(card: dict[str, Any]) -> dict[str, Any]:
    """A product card (catalogue.products.product_card) with the URLs of its pictures: `src`
    (the display file) and `thumb`."""
    pictures = [
        {
            **picture,
            "src": picture_url(picture["id"], "display_webp"),
            "thumb": picture_url(picture["id"], "thumb_webp"),
        }
        for picture in card["pictures"]
    ]
    return {**card, "pictures": pictures}


def _sent_links(wire: dict[str, Any]) -> dict[str, Any]:
    """A snapshot's commerce item (a wire event) with its product's picture URLs."""
    if wire["type"] != "product.sent":
        return wire
    return {**wire, "data": {**wire["data"], "product": product_links(wire["data"]["product"])}}


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
        path = CONVERSATION_FILE.format(
            conversation_id=conversation_id, media_id=media_id, variant=variant
        )
        return f"{path}?exp={expires}&sig={mac}"

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
        """Shown media (gallery.viewer_entry) with the URLs of its file and poster: `src` and
        `poster`, signed for the conversation's uploads, stable for catalogue items."""
        if media is None or "source" not in media:
            return media
        shown = {**media, "src": self._file(conversation_id, media, media["variant"])}
        if "product" in media:
            shown["product"] = product_links(media["product"])
        if "poster_variant" in media:
            shown["poster"] = self._file(conversation_id, media, media["poster_variant"])
        return shown

    def _file(self, conversation_id: str, media: dict[str, Any], variant: str) -> str:
        if media["source"] == "upload":
            return self.url(conversation_id, media["id"], variant)
        if media["source"] == "product":
            return picture_url(media["id"], variant)
        return catalogue_url(media["id"], variant)

    def event(self, event: Event) -> dict[str, Any]:
        """The wire form of a sequenced event, with signed URLs where it names media files."""
        wire = to_wire(event)
        cid, data = event.conversation_id, wire["data"]
        if event.type in ("media.ready", "media.updated"):
            wire["data"] = {**data, "media": self.item(cid, data["media"], with_original=False)}
        elif event.type == "viewer.show":
            wire["data"] = {**data, "media": self.viewer_media(cid, data["media"])}
        elif event.type == "product.sent":
            return _sent_links(wire)
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
            "commerce": [_sent_links(wire) for wire in snapshot.get("commerce", [])],
        }

    def _now(self) -> float:
        return self._clock() / 1000.0

    def _mac(self, conversation_id: str, media_id: str, variant: str, expires: int) -> str:
        message = f"media.v1\n{conversation_id}\n{media_id}\n{variant}\n{expires}".encode()
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
