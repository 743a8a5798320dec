"""Blanking the metadata of an MP4/MOV file in place, without remuxing.

Phones put the place a video was shot (and make, model, software, dates) into `udta` and `meta`
boxes under `moov` (Android: `udta/©xyz`; iPhone: `meta/keys` + `ilst`), and editors add an
XMP `uuid` box. Turning each such box into a `free` box of exactly the same size and zeroing its
payload removes the data while every other byte keeps its offset, so the sample tables
(`stco`/`co64`) stay valid and players simply skip the `free` boxes. No re-encoding, no
dependency beyond the standard library.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import BinaryIO

_CONTAINERS = frozenset({b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf"})
_METADATA = frozenset({b"udta", b"meta"})
_XMP_UUID = bytes.fromhex("be7acfcb97a942e89c71999491e3afac")
_ZEROS = bytes(1 << 20)


def blank_metadata(path: Path) -> int:
    """Overwrite the metadata boxes of the MP4/MOV file at `path`; returns how many.

    A malformed box stops the walk at that level, leaving the rest untouched (whether the file
    plays is for the decoder to say).
    """
    with open(path, "r+b") as file:
        return _blank_within(file, 0, os.fstat(file.fileno()).st_size)


def _blank_within(file: BinaryIO, start: int, end: int) -> int:
    blanked = 0
    pos = start
    while pos + 8 <= end:
        file.seek(pos)
        header = file.read(32)
        size, kind = struct.unpack(">I4s", header[:8])
        header_size = 8
        if size == 1:
            if len(header) < 16:
                break
            (size,) = struct.unpack(">Q", header[8:16])
            header_size = 16
        elif size == 0:
            size = end - pos
        if size < header_size or pos + size > end:
            break
        is_xmp = kind == b"uuid" and header[header_size : header_size + 16] == _XMP_UUID
        if kind in _METADATA or is_xmp:
            _overwrite_as_free(file, pos, size, header_size)
            blanked += 1
        elif kind in _CONTAINERS:
            blanked += _blank_within(file, pos + header_size, pos + size)
        pos += size
    return blanked


def _overwrite_as_free(file: BinaryIO, pos: int, size: int, header_size: int) -> None:
    file.seek(pos)
    if header_size == 16:
        file.write(struct.pack(">I4sQ", 1, b"free", size))
    else:
        file.write(struct.pack(">I4s", size, b"free"))
    remaining = size - header_size
    while remaining > 0:
        remaining -= file.write(_ZEROS[: min(remaining, len(_ZEROS))])
