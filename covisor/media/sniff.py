"""What a file is, decided from its leading bytes only.

A client's file name and declared Content-Type are never consulted: a text file named `a.jpg`
or an SVG sent as `image/png` is refused here, before anything else touches it. Accepted are
JPEG, PNG, WebP and HEIC/HEIF images, and MP4, MOV and WebM videos; everything else (SVG, PDF,
HTML, GIF, AVIF, AVI, Matroska, ...) is `unsupported`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from covisor.media.errors import MediaError

SNIFF_BYTES = 512
"""How many leading bytes `sniff` wants; it decides from fewer only when the file is shorter."""

ACCEPTED = "JPEG, PNG, WebP, HEIC, MP4, MOV or WebM"

MediaKind = Literal["image", "video"]


@dataclass(frozen=True)
class MediaType:
    """A sniffed type: `kind` picks the size limit and the processor, `mime` is what we serve."""

    kind: MediaKind
    format: str
    mime: str
    pillow_format: str | None = None


JPEG = MediaType("image", "jpeg", "image/jpeg", "JPEG")
PNG = MediaType("image", "png", "image/png", "PNG")
WEBP = MediaType("image", "webp", "image/webp", "WEBP")
HEIF = MediaType("image", "heif", "image/heif", "HEIF")
MP4 = MediaType("video", "mp4", "video/mp4")
MOV = MediaType("video", "mov", "video/quicktime")
WEBM = MediaType("video", "webm", "video/webm")

_HEVC_IMAGE_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"})
_GENERIC_IMAGE_BRANDS = frozenset({b"mif1", b"msf1"})
_AV1_IMAGE_BRANDS = frozenset({b"avif", b"avis"})
_MP4_BRANDS = frozenset(
    {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"mmp4"}
)
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_EBML_DOCTYPE = 0x4282


def sniff(head: bytes) -> MediaType:
    """The accepted type whose magic number `head` starts with.

    `head` should be the first `SNIFF_BYTES` bytes (or the whole file if shorter). Raises
    `MediaError('bad_request')` for an empty file and `MediaError('unsupported')` otherwise.
    """
    if not head:
        raise MediaError("bad_request", "the file is empty")
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp":
        found = _sniff_iso_media(head)
        if found is not None:
            return found
    if head.startswith(_EBML_MAGIC) and _ebml_doctype(head) == b"webm":
        return WEBM
    raise MediaError("unsupported", f"this file type is not accepted; send {ACCEPTED}")


def _sniff_iso_media(head: bytes) -> MediaType | None:
    """HEIF, MOV or MP4 from an ISO base media `ftyp` box; None for other brands (AVIF, 3GP...)."""
    box_size = int.from_bytes(head[0:4], "big")
    if box_size < 16:
        return None
    major = head[8:12]
    compatible = {head[i : i + 4] for i in range(16, min(box_size, len(head)) - 3, 4)}
    brands = compatible | {major}
    if major in _AV1_IMAGE_BRANDS:
        return None
    if major in _HEVC_IMAGE_BRANDS:
        return HEIF
    if major in _GENERIC_IMAGE_BRANDS:
        return HEIF if brands & _HEVC_IMAGE_BRANDS else None
    if major == b"qt  ":
        return MOV
    if major in _MP4_BRANDS:
        return MP4
    return None


def _ebml_doctype(head: bytes) -> bytes | None:
    """The DocType string of an EBML header (b'webm', b'matroska'), if it lies within `head`."""
    pos = len(_EBML_MAGIC)
    header_size, pos = _read_vint(head, pos, keep_marker=False)
    if header_size is None:
        return None
    end = min(len(head), pos + header_size)
    while pos < end:
        element_id, pos = _read_vint(head, pos, keep_marker=True)
        size, pos = _read_vint(head, pos, keep_marker=False)
        if element_id is None or size is None:
            return None
        if element_id == _EBML_DOCTYPE:
            return head[pos : pos + size].rstrip(b"\x00")
        pos += size
    return None


def _read_vint(data: bytes, pos: int, *, keep_marker: bool) -> tuple[int | None, int]:
    """An EBML variable-length integer at `pos` and the position after it (None if cut off).

    Element IDs keep their length-marker bit (`keep_marker`), sizes drop it.
    """
    if pos >= len(data) or data[pos] == 0:
        return None, pos
    first = data[pos]
    length = 8 - first.bit_length() + 1
    if pos + length > len(data):
        return None, pos
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
    return value, pos + length
