"""A shop's Google Merchant Center product feed, read as a stream of validated items.

`read_feed(path, max_bytes=…)` yields lists of `FeedItem` (an item that passed) and `ItemError`
(an item refused, with its 1-based position and the reason), or raises `FeedError` when the
whole feed is refused. It is synchronous and touches nothing but the file: callers run it in a
worker thread and write each list in one transaction.

The format is told by the content, never the file name: gzip (its magic bytes) around any of
RSS 2.0 and Atom, both with attributes in Google's namespace `G` (read by feed_xml.py), or
TSV/CSV in UTF-8 with a header row of attribute names, tab-separated when the header line has a
tab (read by feed_text.py). Both readers yield the raw items of feed_raw.py; this module
validates them.

Memory stays bounded whatever the size: the file is read `CHUNK` bytes at a time and gunzipped
chunk by chunk, the readers hold each value only up to its limit (feed_raw.py), so a gigabyte
title costs what a 201-character one does. The decompressed size is counted against
`max_bytes`: the gzip-bomb guard.

Values are trimmed and a blank one is absent; a repeated single-valued attribute keeps its first
value. Required: id, title, price, image_link, availability. A value over its limit refuses the
item, never truncated: `ID_CHARS`, `TITLE_CHARS`, `DESCRIPTION_CHARS`, `LINK_CHARS`, and
`VALUE_CHARS` for every other attribute; at most `ADDITIONAL_IMAGES` additional images. Links
are absolute http(s) URLs. Control characters refuse an item (line breaks and tabs are allowed
in the description). Prices are read by `prices`; a sale_price is in the price's currency.
Availability is one of `AVAILABILITIES`, however spelled ("in stock", "InStock", schema.org's
URL). Unknown attributes go to `extra` while they fit (`EXTRA_KEYS` keys, `VALUE_CHARS` each;
the rest is dropped, never an error).
"""

from __future__ import annotations

import codecs
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import BinaryIO

from yarl import URL

from covisor.catalogue.feed_raw import (
    ADDITIONAL_IMAGES,
    CONTROL_BUT_LINES,
    DESCRIPTION_CHARS,
    EXTRA_KEYS,
    ID_CHARS,
    KNOWN,
    LIMITS,
    LINK_CHARS,
    NAME_CHARS,
    TITLE_CHARS,
    VALUE_CHARS,
    FeedError,
    Raw,
    limit,
)
from covisor.catalogue.feed_text import COLUMNS, decoded, delimited_items
from covisor.catalogue.feed_xml import ATOM, G, xml_items
from covisor.catalogue.prices import Money, PriceError, parse_price

__all__ = [
    "ADDITIONAL_IMAGES",
    "ATOM",
    "AVAILABILITIES",
    "CHUNK",
    "COLUMNS",
    "DESCRIPTION_CHARS",
    "EXTRA_KEYS",
    "G",
    "HEAD",
    "ID_CHARS",
    "KNOWN",
    "LIMITS",
    "LINK_CHARS",
    "NAME_CHARS",
    "TITLE_CHARS",
    "VALUE_CHARS",
    "FeedError",
    "FeedItem",
    "ItemError",
    "read_feed",
]

CHUNK = 64 * 1024
"""Bytes read, and decompressed, at a time."""
HEAD = 64 * 1024
"""Bytes at most looked at, up to the first line's end, to tell the format."""

AVAILABILITIES = ("in_stock", "out_of_stock", "preorder", "backorder")

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NOT_IN_LINK = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
_AVAILABILITY_NOISE = re.compile(r"[\s_-]")
_AVAILABILITY_WORDS = {
    availability.replace("_", ""): availability for availability in AVAILABILITIES
}


@dataclass(frozen=True)
class FeedItem:
    """An item that passed: values trimmed, "" for an optional one absent, prices parsed."""

    id: str
    title: str
    description: str
    link: str
    image_link: str
    additional_image_links: tuple[str, ...]
    price: Money
    sale_price: Money | None
    availability: str
    brand: str
    gtin: str
    mpn: str
    item_group_id: str
    color: str
    size: str
    material: str
    product_type: str
    condition: str
    extra: dict[str, str]


@dataclass(frozen=True)
class ItemError:
    """An item refused: its 1-based `position` in the feed, its id if it had a valid one."""

    position: int
    id: str | None
    reason: str


def read_feed(
    path: Path, *, max_bytes: int, batch_size: int = 500
) -> Iterator[list[FeedItem | ItemError]]:
    """The feed's items in order, in lists of `batch_size` (the last one shorter).

    `FeedError` is raised when reached: items before a break in the file have been yielded
    already. A feed without items yields nothing. Of items with the same id the first wins,
    later ones are `ItemError("duplicate id")`. `OSError` from opening or reading is not wrapped.
    """
    if max_bytes < 1 or batch_size < 1:
        raise ValueError("max_bytes and batch_size must be positive")
    return _batches(path, max_bytes, batch_size)


def _batches(path: Path, max_bytes: int, batch_size: int) -> Iterator[list[FeedItem | ItemError]]:
    with path.open("rb") as file:
        seen: set[str] = set()
        batch: list[FeedItem | ItemError] = []
        try:
            for position, raw in enumerate(_raw_items(file, max_bytes), 1):
                batch.append(_item(position, raw, seen))
                if len(batch) == batch_size:
                    yield batch
                    batch = []
        except FeedError:
            if batch:
                yield batch
            raise
        if batch:
            yield batch


def _raw_items(file: BinaryIO, max_bytes: int) -> Iterator[Raw]:
    chunks = _limited(_unzipped(iter(lambda: file.read(CHUNK), b"")), max_bytes)
    start = bytearray()
    for chunk in chunks:  # to a whole first line, to tell the format and the delimiter
        start += chunk
        if b"\n" in start.lstrip() or len(start) >= HEAD:
            break
    head = bytes(start)
    body = head.removeprefix(codecs.BOM_UTF8)
    if not body.strip() and len(head) < HEAD:
        raise FeedError("the feed is empty")
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        if not body[:64].decode("utf-16", "ignore").lstrip().startswith("<"):
            raise FeedError("the file is not UTF-8 (line 1)")
        return xml_items(chain((head,), chunks))
    if body.lstrip().startswith(b"<"):  # blank lines before `<?xml` are common: dropped
        return xml_items(chain((body.lstrip(),), chunks))
    if b"\x00" in body:
        raise FeedError("not a product feed: it is binary data")
    delimiter = "\t" if b"\t" in body.lstrip().split(b"\n", 1)[0] else ","
    return delimited_items(decoded(chain((body,), chunks)), delimiter)


def _unzipped(raw: Iterator[bytes]) -> Iterator[bytes]:
    first = b""
    for data in raw:
        first += data
        if len(first) >= 2:
            break
    if not first.startswith(b"\x1f\x8b"):
        yield first
        yield from raw
        return
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    for data in chain((first,), raw):
        while True:
            try:
                out = inflate.decompress(data, CHUNK)
            except zlib.error:
                raise FeedError("the gzip data is broken") from None
            yield out
            if inflate.eof and inflate.unused_data:  # several members, as `cat a.gz b.gz` makes
                data = inflate.unused_data
                inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
            elif inflate.unconsumed_tail or len(out) == CHUNK:
                data = inflate.unconsumed_tail
            else:
                break
    if not inflate.eof:
        raise FeedError("the gzip file is truncated")


def _limited(chunks: Iterator[bytes], max_bytes: int) -> Iterator[bytes]:
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > max_bytes:
            raise FeedError(f"the feed is over {max_bytes / 1_000_000:g} MB uncompressed")
        if chunk:
            yield chunk


class _Invalid(Exception):
    """An item's value that refuses the item; the message is its `ItemError.reason`."""


def _item(position: int, raw: Raw, seen: set[str]) -> FeedItem | ItemError:
    try:
        id_ = _text(raw, "id", required=True)
    except _Invalid as error:
        return ItemError(position, None, str(error))
    if id_ in seen:
        return ItemError(position, id_, "duplicate id")
    seen.add(id_)
    try:
        return _valid_item(raw, id_)
    except _Invalid as error:
        return ItemError(position, id_, str(error))


def _valid_item(raw: Raw, id_: str) -> FeedItem:
    title = _text(raw, "title", required=True)
    description = _text(raw, "description")
    link = _text(raw, "link")
    image_link = _link("image_link", _text(raw, "image_link", required=True))
    if "additional_image_link" in raw.over:
        raise _Invalid(
            f"additional_image_link: over {ADDITIONAL_IMAGES} links"
            f" or a link over {LINK_CHARS} characters"
        )
    if len(raw.images) > ADDITIONAL_IMAGES:
        raise _Invalid(f"additional_image_link: over {ADDITIONAL_IMAGES} links")
    price = _price("price", _text(raw, "price", required=True))
    sale = _text(raw, "sale_price")
    sale_price = _price("sale_price", sale) if sale else None
    if sale_price is not None and sale_price.currency != price.currency:
        raise _Invalid("sale_price: not in the currency of price")
    return FeedItem(
        id=id_,
        title=title,
        description=description,
        link=_link("link", link) if link else "",
        image_link=image_link,
        additional_image_links=tuple([_link("additional_image_link", i) for i in raw.images]),
        price=price,
        sale_price=sale_price,
        availability=_availability(_text(raw, "availability", required=True)),
        brand=_text(raw, "brand"),
        gtin=_text(raw, "gtin"),
        mpn=_text(raw, "mpn"),
        item_group_id=_text(raw, "item_group_id"),
        color=_text(raw, "color"),
        size=_text(raw, "size"),
        material=_text(raw, "material"),
        product_type=_text(raw, "product_type"),
        condition=_text(raw, "condition"),
        extra=raw.extra,
    )


def _text(raw: Raw, name: str, *, required: bool = False) -> str:
    value = raw.fields.get(name)
    if value is None:
        if name in raw.over:
            raise _Invalid(f"{name}: over {limit(name)} characters")
        if required:
            raise _Invalid(f"{name}: missing")
        return ""
    if not value.isprintable() and (
        (CONTROL_BUT_LINES if name == "description" else _CONTROL).search(value)
    ):
        raise _Invalid(f"{name}: control characters")
    return value


def _link(name: str, value: str) -> str:
    try:
        url = URL(value)
        absolute = url.scheme in ("http", "https") and bool(url.host)
    except ValueError:
        absolute = False
    if not absolute or _NOT_IN_LINK.search(value):
        raise _Invalid(f"{name}: not an absolute http(s) URL")
    return value


def _price(name: str, value: str) -> Money:
    try:
        return parse_price(value)
    except PriceError as error:
        raise _Invalid(f"{name}: {error.problem}") from None


def _availability(value: str) -> str:
    word = _AVAILABILITY_NOISE.sub("", value.rpartition("/")[2]).lower()
    availability = _AVAILABILITY_WORDS.get(word)
    if availability is None:
        raise _Invalid(f"availability: not one of {', '.join(AVAILABILITIES)}")
    return availability
