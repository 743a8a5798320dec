"""A feed's TSV/CSV text read into `Raw` items, as Python's csv module would read it.

Split from feed.py, which tells the format, picks the `delimiter` (a tab when the header line
has one, else a comma) and validates what this yields. `decoded(chunks)` turns the bytes into
UTF-8 text (`FeedError` names the line of the first invalid byte, after the text before it);
`delimited_items(texts, delimiter)` yields an item per record after the header. The reading is
the excel dialect's (quotes doubled inside quoted cells, CR, LF or CRLF ending a record) but
pushed in pieces of any size, each cell held only up to its column's limit, so a huge cell costs
what one at the limit does.

The first non-blank record is the header: attribute names, case-insensitive, `g:` prefix
optional, spaces for `_`; it needs an id column and at most `COLUMNS` columns. Blank records are
skipped; cells past the header's columns are dropped. additional_image_link holds several links
separated by commas (a comma followed by `http`).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from itertools import chain

from covisor.catalogue.feed_raw import (
    ADDITIONAL_IMAGES,
    LINK_CHARS,
    NAME_CHARS,
    FeedError,
    Raw,
    Text,
    limit,
)

COLUMNS = 500
"""Columns a TSV/CSV header may have."""

_LINK_LIST = re.compile(r",\s*(?=https?://)", re.IGNORECASE)
_START, _UNQUOTED, _QUOTED, _QUOTE = range(4)


def decoded(chunks: Iterable[bytes]) -> Iterator[str]:
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


def delimited_items(texts: Iterable[str], delimiter: str) -> Iterator[Raw]:
    """The items of the records after the header in `texts`; `FeedError` refuses the feed."""
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
            else limit(name)
            for name in header
        ]
    if not header:
        raise FeedError("the feed is empty")


def _row(header: list[str], record: list[str | None]) -> Raw:
    raw = Raw()
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
        self._cell = Text(0)
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
                self._cell = Text(self._cap())
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
                self._cell = Text(self._cap())
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
