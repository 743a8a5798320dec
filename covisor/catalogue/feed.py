"""A shop's Google Merchant Center product feed, read as a stream of validated items.

`read_feed(path, max_bytes=…)` yields lists of `FeedItem` (an item that passed) and `ItemError`
(an item refused, with its 1-based position and the reason), or raises `FeedError` when the
whole feed is refused. It is synchronous and touches nothing but the file: callers run it in a
worker thread and write each list in one transaction.

The format is told by the content, never the file name: gzip (its magic bytes) around any of
RSS 2.0 (`<rss><channel><item>`) and Atom (`<feed><entry>`), both with attributes in Google's
namespace `G`, or TSV/CSV in UTF-8 with a header row of attribute names (tab-separated when the
header line has a tab; names case-insensitive, `g:` prefix optional, spaces for `_`).

Memory stays bounded whatever the size: the file is read `CHUNK` bytes at a time and gunzipped
chunk by chunk, XML goes through defusedxml's SAX parser with DTDs refused, and each value is
held only up to its limit, so a gigabyte title costs what a 201-character one does. The
decompressed size is counted against `max_bytes`: the gzip-bomb guard.

Values are trimmed and a blank one is absent; a repeated single-valued attribute keeps its first
value. Required: id, title, price, image_link, availability. A value over its limit refuses the
item, never truncated: `ID_CHARS`, `TITLE_CHARS`, `DESCRIPTION_CHARS`, `LINK_CHARS`, and
`VALUE_CHARS` for every other attribute; at most `ADDITIONAL_IMAGES` additional images. Links
are absolute http(s) URLs. Control characters refuse an item (line breaks and tabs are allowed
in the description). Prices are read by `prices`; a sale_price is in the price's currency.
Availability is one of `AVAILABILITIES`, however spelled ("in stock", "InStock", schema.org's
URL). RSS's and Atom's own title, link (Atom: the alternate `<link href>`) and description
(Atom: summary, else content) stand in for absent `g:` ones.
Unknown attributes go to `extra` while they fit (`EXTRA_KEYS` keys, `VALUE_CHARS` each; the
rest is dropped, never an error); an XML attribute with sub-attributes
(`<g:shipping><g:country>US</g:country>…`) is kept as "country:US;price:4.95 USD". In TSV/CSV,
additional_image_link holds several links separated by commas (a comma followed by `http`).
"""

from __future__ import annotations

import codecs
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import BinaryIO
from xml.parsers import expat
from xml.sax import SAXParseException
from xml.sax.handler import ContentHandler, feature_namespaces
from xml.sax.xmlreader import AttributesNSImpl

import defusedxml.sax
from defusedxml import DefusedXmlException, DTDForbidden
from yarl import URL

from covisor.catalogue.prices import Money, PriceError, parse_price

G = "http://base.google.com/ns/1.0"
ATOM = "http://www.w3.org/2005/Atom"

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
COLUMNS = 500
"""Columns a TSV/CSV header may have."""
CHUNK = 64 * 1024
"""Bytes read, and decompressed, at a time."""
HEAD = 64 * 1024
"""Bytes at most looked at, up to the first line's end, to tell the format."""

AVAILABILITIES = ("in_stock", "out_of_stock", "preorder", "backorder")
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

_FALLBACKS = {
    "title": ("title",),
    "link": ("link",),
    "description": ("description", "summary", "content"),
}
"""RSS's and Atom's own item elements that stand in for an absent attribute, first first."""
_OWN = {element: name for name, elements in _FALLBACKS.items() for element in elements}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_NOT_IN_LINK = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
_LINK_LIST = re.compile(r",\s*(?=https?://)", re.IGNORECASE)
_AVAILABILITY_NOISE = re.compile(r"[\s_-]")
_AVAILABILITY_WORDS = {
    availability.replace("_", ""): availability for availability in AVAILABILITIES
}
_UNKNOWN_ENCODING = expat.errors.codes[expat.errors.XML_ERROR_UNKNOWN_ENCODING]
_START, _UNQUOTED, _QUOTED, _QUOTE = range(4)


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


class FeedError(Exception):
    """The whole feed is refused: `reason` says why in words an admin understands."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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


def _raw_items(file: BinaryIO, max_bytes: int) -> Iterator[_Raw]:
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
        return _xml_items(chain((head,), chunks))
    if body.lstrip().startswith(b"<"):
        return _xml_items(chain((head,), chunks))
    if b"\x00" in body:
        raise FeedError("not a product feed: it is binary data")
    delimiter = "\t" if b"\t" in body.lstrip().split(b"\n", 1)[0] else ","
    return _delimited_items(_decoded(chain((body,), chunks)), delimiter)


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


class _Text:
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
class _Raw:
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
        elif not _CONTROL_BUT_LINES.search(value):
            self.extra[name] = value


def _limit(name: str) -> int:
    return LIMITS.get(name, VALUE_CHARS)


class _Invalid(Exception):
    """An item's value that refuses the item; the message is its `ItemError.reason`."""


def _item(position: int, raw: _Raw, seen: set[str]) -> FeedItem | ItemError:
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


def _valid_item(raw: _Raw, id_: str) -> FeedItem:
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


def _text(raw: _Raw, name: str, *, required: bool = False) -> str:
    value = raw.fields.get(name)
    if value is None:
        if name in raw.over:
            raise _Invalid(f"{name}: over {_limit(name)} characters")
        if required:
            raise _Invalid(f"{name}: missing")
        return ""
    if not value.isprintable() and (
        (_CONTROL_BUT_LINES if name == "description" else _CONTROL).search(value)
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


def _xml_items(chunks: Iterable[bytes]) -> Iterator[_Raw]:
    handler = _FeedHandler()
    parser = defusedxml.sax.make_parser()
    parser.forbid_dtd = True
    parser.forbid_entities = True
    parser.forbid_external = True
    parser.setFeature(feature_namespaces, True)
    parser.setContentHandler(handler)
    try:
        for chunk in chunks:
            parser.feed(chunk)
            yield from handler.take()
        parser.close()
    except (SAXParseException, DefusedXmlException, LookupError) as error:
        if isinstance(error, KeyError | IndexError):
            raise
        yield from handler.take()  # the items before the break
        raise _refusal(error) from None
    yield from handler.take()


def _refusal(error: SAXParseException | DefusedXmlException | LookupError) -> FeedError:
    """The refusal for a parser's `error`; a LookupError is Python's for an unknown codec."""
    if isinstance(error, DTDForbidden) and str(error.name).lower() == "html":
        return FeedError("not a product feed: it is an HTML page")
    if isinstance(error, DefusedXmlException):
        return FeedError("the feed declares a DTD/entities, which are refused")
    if isinstance(error, LookupError):
        return FeedError("the XML declares an encoding that is not supported")
    if getattr(error.getException(), "code", None) == _UNKNOWN_ENCODING:
        return FeedError("the XML declares an encoding that is not supported")
    return FeedError(f"the XML is broken at line {error.getLineNumber()}: {error.getMessage()}")


class _FeedHandler(ContentHandler):
    """Items of an RSS 2.0 or Atom feed, collected as they end for `take` to hand over."""

    def __init__(self) -> None:
        super().__init__()
        self._done: list[_Raw] = []
        self._depth = 0
        self._item_depth = 0
        self._item_name: tuple[str | None, str] = (None, "item")
        self._own_uri: str | None = None
        self._raw = _Raw()
        self._in_item = False
        self._own: dict[str, str | None] = {}
        self._name = ""
        self._is_own = False
        self._text: _Text | None = None
        self._group: _Text | None = None
        self._sub_name = ""
        self._sub: _Text | None = None

    def take(self) -> list[_Raw]:
        done, self._done = self._done, []
        return done

    def startElementNS(
        self, name: tuple[str | None, str], qname: str | None, attrs: AttributesNSImpl
    ) -> None:
        self._depth += 1
        if self._in_item:
            if self._depth == self._item_depth + 1:
                self._attribute(name, attrs)
            elif self._depth == self._item_depth + 2 and self._text is not None:
                self._sub_name, self._sub = name[1].lower(), _Text(self._text.cap)
        elif self._depth == self._item_depth and name == self._item_name:
            self._in_item = True
            self._raw, self._own = _Raw(), {}
        elif self._depth == 1:
            self._root(name)

    def endElementNS(self, name: tuple[str | None, str], qname: str | None) -> None:
        depth, self._depth = self._depth, self._depth - 1
        if not self._in_item:
            return
        if depth == self._item_depth:
            self._end_item()
        elif depth == self._item_depth + 1 and self._text is not None:
            value = (self._group or self._text).value()
            if not self._is_own:
                self._raw.put(self._name, value)
            elif value != "":
                self._own.setdefault(self._name, value)
            self._text = self._group = None
        elif depth == self._item_depth + 2 and self._sub is not None:
            self._end_sub(self._sub.value())
            self._sub = None

    def characters(self, content: str) -> None:
        if self._sub is not None and self._depth == self._item_depth + 2:
            self._sub.add(content)
        elif self._text is not None and self._depth == self._item_depth + 1:
            self._text.add(content)

    def _root(self, name: tuple[str | None, str]) -> None:
        if name == (None, "rss"):
            self._item_depth, self._item_name, self._own_uri = 3, (None, "item"), None
        elif name == (ATOM, "feed"):
            self._item_depth, self._item_name, self._own_uri = 2, (ATOM, "entry"), ATOM
        else:
            raise FeedError(f"not a product feed: its root element is <{name[1]}>")

    def _attribute(self, name: tuple[str | None, str], attrs: AttributesNSImpl) -> None:
        uri, local = name
        self._is_own = uri == self._own_uri
        if uri == G:
            self._name = local.lower()
            if self._raw.wants(self._name):
                self._text = _Text(_limit(self._name))
        elif self._is_own and self._own_uri == ATOM and local == "link":
            if attrs.get((None, "rel"), "alternate") == "alternate":
                href = _Text(LINK_CHARS)
                href.add(attrs.get((None, "href"), ""))
                if href.value() != "":
                    self._own.setdefault("link", href.value())
        elif self._is_own and local in _OWN and local not in self._own:
            self._name = local
            self._text = _Text(_limit(_OWN[local]))

    def _end_sub(self, value: str | None) -> None:
        if value == "" or self._text is None:
            return
        if self._group is None:
            self._group = _Text(self._text.cap)
        else:
            self._group.add(";")
        if value is None:
            self._group.over = True
        else:
            self._group.add(f"{self._sub_name}:{value}")

    def _end_item(self) -> None:
        raw = self._raw
        for name, sources in _FALLBACKS.items():
            if name not in raw.fields and name not in raw.over:
                raw.put(name, next((self._own[s] for s in sources if s in self._own), ""))
        self._done.append(raw)
        self._in_item = False


def _decoded(chunks: Iterable[bytes]) -> Iterator[str]:
    """The UTF-8 text of `chunks`; `FeedError` naming the line of the first invalid byte."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    for chunk in chunks:
        pending = decoder.getstate()[0]
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError as error:
            valid = (pending + chunk)[: error.start]
            yield valid.decode()  # the items before the break
            line = lines + valid.count(b"\n") + 1
            raise FeedError(f"the file is not UTF-8 (line {line})") from None
        lines += chunk.count(b"\n")
        yield text
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise FeedError(f"the file is not UTF-8 (line {lines + 1})") from None


def _delimited_items(texts: Iterable[str], delimiter: str) -> Iterator[_Raw]:
    cells = _Cells(delimiter, [NAME_CHARS] * (COLUMNS + 1))
    records = chain.from_iterable(chain((cells.feed(text) for text in texts), (cells.close(),)))
    header: list[str] = []
    for record in records:
        if all(value == "" for value in record):
            continue
        if header:
            yield _row(header, record)
            continue
        header = [(name or "").lower().removeprefix("g:").replace(" ", "_") for name in record]
        if len(header) > COLUMNS:
            raise FeedError(f"not a product feed: its header has over {COLUMNS} columns")
        if "id" not in header:
            raise FeedError("not a product feed: its first line is no header with an id column")
        cells.caps = [
            (ADDITIONAL_IMAGES + 1) * (LINK_CHARS + 2)
            if name == "additional_image_link"
            else _limit(name)
            for name in header
        ]
    if not header:
        raise FeedError("the feed is empty")


def _row(header: list[str], record: list[str | None]) -> _Raw:
    raw = _Raw()
    for name, value in zip(header, record, strict=False):
        if name == "additional_image_link" and value:
            for link in _LINK_LIST.split(value):
                raw.put(name, link.strip())
        elif name:
            raw.put(name, value)
    return raw


class _Cells:
    """Records of delimited text as Python's csv module reads it (excel dialect), pushed in.

    The text comes in pieces of any size; each cell is held up to its column's cap in `caps`
    (which may change between records), cells past the last cap are read and dropped.
    """

    def __init__(self, delimiter: str, caps: list[int]) -> None:
        self.caps = caps
        self._delimiter = delimiter
        self._stop = re.compile(f"[{re.escape(delimiter)}\r\n]")
        self._state = _START
        self._record: list[str | None] = []
        self._cell = _Text(0)
        self._after_cr = False
        self._line = 1
        self._quote_line = 0

    def feed(self, text: str) -> Iterator[list[str | None]]:
        at, end = 0, len(text)
        while at < end:
            char = text[at]
            if self._after_cr:
                self._after_cr = False
                if char == "\n":
                    at += 1
                    continue
            if self._state == _START:
                self._cell = _Text(self._cap())
                if char == '"':
                    self._state, self._quote_line = _QUOTED, self._line
                    at += 1
                    continue
                self._state = _UNQUOTED
            if self._state == _UNQUOTED:
                stop = self._stop.search(text, at)
                upto = stop.start() if stop else end
                self._cell.add(text[at:upto])
                at = upto
            elif self._state == _QUOTED:
                quote = text.find('"', at)
                upto = end if quote < 0 else quote
                piece = text[at:upto]
                self._line += piece.count("\n")
                self._cell.add(piece)
                at = upto + 1
                if quote >= 0:
                    self._state = _QUOTE
                continue
            elif char == '"':
                self._cell.add('"')
                self._state = _QUOTED
                at += 1
                continue
            elif char != self._delimiter and char not in "\r\n":
                self._state = _UNQUOTED  # a stray character after a closing quote is kept
                continue
            if at < end:
                record = self._end_cell(text[at])
                at += 1
                if record is not None:
                    yield record

    def close(self) -> Iterator[list[str | None]]:
        if self._state == _QUOTED:
            raise FeedError(
                f"the file ends inside a quoted value opened on line {self._quote_line}"
            )
        if self._state != _START or self._record:
            if self._state == _START:
                self._cell = _Text(self._cap())
            record = self._end_cell("\n")
            if record is not None:
                yield record

    def _cap(self) -> int:
        return self.caps[len(self._record)] if len(self._record) < len(self.caps) else 0

    def _end_cell(self, separator: str) -> list[str | None] | None:
        if len(self._record) < len(self.caps):
            self._record.append(self._cell.value())
        self._state = _START
        if separator == self._delimiter:
            return None
        self._line += 1
        self._after_cr = separator == "\r"
        record, self._record = self._record, []
        return record
