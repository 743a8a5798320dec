"""The served files of processed media, by their protocol names, for uploads and the catalogue.

A `MediaRecord` names its files as the pipeline wrote them (`display.webp`, `video.mp4`); the
protocol names them `display_webp`, `video`. Client file names are only ever display data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from covisor.kernel.errors import CovisorError
from covisor.media import MediaPipeline, MediaRecord, Variant

NAME_CHARS = 120
"""Longest display name kept from a client's file name."""

_PUBLIC_EXTENSION = {"webp": "webp", "jpg": "jpeg"}
_STILL = re.compile(r"^(?P<stem>[a-z]+)\.(?P<ext>webp|jpg)\Z")


@dataclass(frozen=True)
class ServedFile:
    """A file to send: `download_name` makes it an attachment instead of something shown."""

    path: Path
    mime: str
    download_name: str | None = None


def display_name(filename: str | None) -> str:
    """What is kept of a client's file name: its last path component, printable, at most
    `NAME_CHARS` characters. Data to show, never part of a path."""
    last = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    printable = "".join(ch for ch in last if ch.isprintable()).strip()
    return printable[:NAME_CHARS] or "upload"


def public_variants(record: MediaRecord) -> dict[str, Variant]:
    """The served files of a record under their protocol names: `display_webp`, `display_jpeg`,
    `thumb_*`, `poster_*` and `video` (whatever the container)."""
    named: dict[str, Variant] = {}
    for file_name, variant in record.variants.items():
        still = _STILL.match(file_name)
        if still:
            named[f"{still['stem']}_{_PUBLIC_EXTENSION[still['ext']]}"] = variant
        elif file_name.startswith("video."):
            named["video"] = variant
    return named


async def media_record(pipeline: MediaPipeline, media_id: str) -> MediaRecord:
    record = await pipeline.get(media_id)
    if record is None:
        raise CovisorError("not_found", "no such media")
    return record


def derived_file(pipeline: MediaPipeline, record: MediaRecord, variant: str) -> ServedFile:
    """A processed file of `record` by its protocol name; `not_found` if it has none such."""
    found = public_variants(record).get(variant)
    if found is None:
        raise CovisorError("not_found", f"this media has no {variant!r} file")
    return ServedFile(pipeline.store.derived_dir(record.id) / found.path, found.mime)
