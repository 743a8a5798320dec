"""What a feed's readers hand to its validation: an item's attributes as read, and the limits.

The XML reader (feed_xml.py) and the TSV/CSV reader (feed_text.py) each turn their format into
`Raw` items; feed.py validates them into `FeedItem`s. All three share this module, which
imports none of them, so they never import one another in a circle.

A value arrives in pieces and is held in a `Text` only up to its `limit`: a gigabyte title
costs what a 201-character one does, and a value over its limit is marked, never truncated.
`Raw.put` keeps the first value of a single-valued attribute, up to `ADDITIONAL_IMAGES` + 1
additional images (the one too many refuses the item later), and unknown attributes in `extra`
while they fit (`EXTRA_KEYS` keys of at most `NAME_CHARS` characters, `VALUE_CHARS` each,
without control characters but line breaks and tabs); the rest is dropped, never an error.
Readers raise `FeedError` when the whole feed is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ID_CHARS = 50
"""Google's own limit on an offer id."""
TITLE_CHARS = 200
DESCRIPTION_CHARS = 5_000
LINK_CHARS = 2_048
VALUE_CHARS = 1_000
"""Every other attribute, and each value kept in `extra`."""
ADDITIONAL_IMAGES = 10
"""Google's limit on additional_image_link values per item."""
EXTRA_KEYS = 20
NAME_CHARS = 100
"""An attribute name longer than this is dropped (a TSV/CSV column of it is ignored)."""

KNOWN = frozenset(
    "id title description link image_link additional_image_link price sale_price availability"
    " brand gtin mpn item_group_id color size material product_type condition".split()
)
LIMITS = {
    "id": ID_CHARS,
    "title": TITLE_CHARS,
    "description": DESCRIPTION_CHARS,
    "link": LINK_CHARS,
    "image_link": LINK_CHARS,
    "additional_image_link": LINK_CHARS,
}

CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""Control characters but line breaks and tabs: what a description and `extra` may not hold."""


class FeedError(Exception):
    """The whole feed is refused: `reason` says why in words an admin understands."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def limit(name: str) -> int:
    """The characters a value of attribute `name` may have."""
    return LIMITS.get(name, VALUE_CHARS)


class Text:
    """A value's text as it arrives in pieces, trimmed, held only up to `cap` characters."""

    __slots__ = ("cap", "over", "_text", "_spaced")

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.over = False
        self._text = ""
        self._spaced = False

    def add(self, piece: str) -> None:
        if self.over or not piece:
            return
        if self._spaced:
            # What is held and the blank after it pass `cap`: anything but blank is too much.
            self.over = not piece.isspace()
            return
        text = self._text + piece if self._text else piece.lstrip()
        if len(text) > self.cap:
            text = text.rstrip()
            self.over = len(text) > self.cap
            self._spaced = True
        self._text = "" if self.over else text

    def value(self) -> str | None:
        """The trimmed text, "" when blank, None when over `cap`."""
        return None if self.over else self._text.rstrip()


@dataclass(slots=True)
class Raw:
    """An item's attributes as read, before validation; `over` names those over their limit."""

    fields: dict[str, str] = field(default_factory=dict)
    over: set[str] = field(default_factory=set)
    images: list[str] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)

    def wants(self, name: str) -> bool:
        """Whether a value of `name` would be kept: the first, while limits leave room."""
        if name == "additional_image_link":
            return len(self.images) <= ADDITIONAL_IMAGES and name not in self.over
        if name in KNOWN:
            return name not in self.fields and name not in self.over
        return name not in self.extra and len(self.extra) < EXTRA_KEYS and len(name) <= NAME_CHARS

    def put(self, name: str, value: str | None) -> None:
        """Keep `value` (None: over its limit) if the item `wants` it and it is not blank."""
        if value == "" or not self.wants(name):
            return
        if value is None:
            if name in KNOWN:
                self.over.add(name)
        elif name == "additional_image_link":
            self.images.append(value)
        elif name in KNOWN:
            self.fields[name] = value
        elif not CONTROL_BUT_LINES.search(value):
            self.extra[name] = value
