"""The demo product catalogue: media/catalogue.json and the files beside it.

The server imports it on first start (each file through `MediaPipeline.ingest_file`, so demo
media gets exactly the treatment of uploads) so an agent has something to show. The format:

    {"currency": "EUR",
     "items": [{"id": "sneaker", "title": "Trail sneaker", "kind": "image",
                "file": "sneaker.jpg", "description": "...", "price": "89.00"}, ...]}

`file` is a bare file name in the catalogue's directory; `price` a decimal string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import msgspec

from covisor.media.errors import MediaError
from covisor.media.sniff import SNIFF_BYTES, MediaKind, sniff

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class CatalogueError(ValueError):
    """The catalogue file is malformed or names a file that is missing or of the wrong kind."""


@dataclass(frozen=True)
class CatalogueItem:
    """One product: `file` is the absolute path of its picture or video."""

    id: str
    title: str
    kind: MediaKind
    file: Path
    description: str
    price: Decimal
    currency: str


class _Entry(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    title: str
    kind: MediaKind
    file: str
    description: str
    price: Decimal


class _Catalogue(msgspec.Struct, forbid_unknown_fields=True):
    currency: str
    items: list[_Entry]


def load_catalogue(path: Path) -> list[CatalogueItem]:
    """Read and check the catalogue at `path`; raises `CatalogueError` naming the problem.

    Each file must exist in the catalogue's directory and its bytes must sniff as the declared
    `kind`. Small synchronous reads: call at start-up (or through `asyncio.to_thread`).
    """
    try:
        catalogue = msgspec.json.decode(path.read_bytes(), type=_Catalogue)
    except (OSError, msgspec.DecodeError) as exc:
        raise CatalogueError(f"{path}: {exc}") from exc
    if not _CURRENCY.match(catalogue.currency):
        raise CatalogueError(f"{path}: currency must be an ISO 4217 code")
    items: list[CatalogueItem] = []
    seen: set[str] = set()
    for entry in catalogue.items:
        if not _ID.match(entry.id) or entry.id in seen:
            raise CatalogueError(f"{path}: bad or repeated id {entry.id!r}")
        seen.add(entry.id)
        if entry.price < 0:
            raise CatalogueError(f"{path}: {entry.id}: negative price")
        items.append(
            CatalogueItem(
                id=entry.id,
                title=entry.title,
                kind=entry.kind,
                file=_checked_file(path.parent, entry),
                description=entry.description,
                price=entry.price,
                currency=catalogue.currency,
            )
        )
    return items


def _checked_file(directory: Path, entry: _Entry) -> Path:
    name = entry.file
    if not name or name.startswith(".") or "/" in name or "\\" in name:
        raise CatalogueError(f"{entry.id}: file must be a bare file name, not {name!r}")
    file = directory / name
    try:
        with open(file, "rb") as source:
            head = source.read(SNIFF_BYTES)
    except OSError as exc:
        raise CatalogueError(f"{entry.id}: cannot read {file}: {exc}") from exc
    try:
        kind = sniff(head).kind
    except MediaError as exc:
        raise CatalogueError(f"{entry.id}: {file}: {exc.message}") from exc
    if kind != entry.kind:
        raise CatalogueError(f"{entry.id}: {file} sniffs as {kind}, but kind is {entry.kind}")
    return file.resolve()
