"""Real media files made on the spot for the media tests (no binary fixtures in the repo)."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import cv2
import numpy as np
import pillow_heif
from PIL import ExifTags, Image, ImageCms, ImageDraw, ImageFilter

from covisor.app.options import media_options
from covisor.config import Config
from covisor.media.blobs import BlobStore

OPTIONS = media_options(Config())
"""The server's media options with the default config."""
LIMITS = OPTIONS.upload
IMAGE = OPTIONS.image

RED = (220, 20, 20)
BLUE = (20, 20, 220)
GREEN = (20, 200, 20)

GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (52.0, 22.0, 12.5),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (4.0, 53.0, 2.0),
}


def two_tone(
    size: tuple[int, int], top: tuple[int, int, int], bottom: tuple[int, int, int]
) -> Image.Image:
    """An RGB image whose top half is `top` and bottom half `bottom`."""
    width, height = size
    pixels = np.empty((height, width, 3), np.uint8)
    pixels[: height // 2] = top
    pixels[height // 2 :] = bottom
    return Image.fromarray(pixels)


def camera_jpeg(
    size: tuple[int, int] = (4000, 3000), *, orientation: int | None = 6, gps: bool = True
) -> bytes:
    """A phone-like JPEG: red top half, blue bottom half, EXIF orientation, GPS, a comment."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        exif[ExifTags.IFD.GPSInfo] = GPS
    out = io.BytesIO()
    two_tone(size, RED, BLUE).save(
        out, "JPEG", quality=90, exif=exif, comment=b"shot at home", icc_profile=srgb_icc()
    )
    return out.getvalue()


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def detailed(size: tuple[int, int] = (1600, 1200)) -> Image.Image:
    """A sharp, busy scene: shapes with hard edges and fine lines."""
    image = Image.new("RGB", size, (235, 235, 230))
    draw = ImageDraw.Draw(image)
    rng = np.random.default_rng(7)
    for _ in range(120):
        x, y = int(rng.integers(0, size[0])), int(rng.integers(0, size[1]))
        r = int(rng.integers(10, 120))
        color = tuple(int(c) for c in rng.integers(0, 255, 3))
        draw.rectangle([x, y, x + r, y + r // 2], outline=color, width=3)
        draw.line([x, y, x + 2 * r, y + r], fill=color, width=2)
    return image


def blurred(image: Image.Image, radius: float) -> Image.Image:
    return image.filter(ImageFilter.GaussianBlur(radius))


def jpeg_bytes(image: Image.Image, quality: int = 92) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def alpha_png() -> bytes:
    """200x100 RGBA: left half fully transparent (but red underneath), right half opaque green."""
    pixels = np.zeros((100, 200, 4), np.uint8)
    pixels[:, :100] = (*RED, 0)
    pixels[:, 100:] = (*GREEN, 255)
    out = io.BytesIO()
    Image.fromarray(pixels, "RGBA").save(out, "PNG")
    return out.getvalue()


def heic(size: tuple[int, int] = (640, 480), orientation: int = 1) -> bytes:
    """A HEIC with red top and blue bottom as stored; pillow-heif turns `orientation` into irot."""
    pillow_heif.register_heif_opener()
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    out = io.BytesIO()
    two_tone(size, RED, BLUE).save(out, "HEIF", quality=85, exif=exif.tobytes())
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares `width` x `height` RGB pixels but carries almost no data.

    Decoding it would allocate width * height * 3 bytes; a correct pipeline refuses it from the
    header alone.
    """

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def video(
    path: Path,
    *,
    fourcc: str = "mp4v",
    size: tuple[int, int] = (320, 240),
    fps: float = 25.0,
    frames: int = 50,
) -> Path:
    """A real video written by OpenCV: each frame a different grey level with a moving box."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), fps, size)
    assert writer.isOpened(), f"OpenCV cannot write {fourcc}"
    width, height = size
    for index in range(frames):
        frame = np.full((height, width, 3), 40 + index * 3 % 200, np.uint8)
        x = index * (width - 40) // max(1, frames - 1)
        frame[height // 3 : height // 3 + 40, x : x + 40] = (0, 0, 255)
        writer.write(frame)
    writer.release()
    return path


def iso_box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def with_location_box(mp4: bytes, location: bytes) -> bytes:
    """`mp4` with a `udta/©xyz` box (as Android writes the place a video was shot) in `moov`.

    OpenCV writes `moov` last, so growing it moves no sample data.
    """
    pos = 0
    while pos < len(mp4):
        size, kind = struct.unpack(">I4s", mp4[pos : pos + 8])
        if kind == b"moov":
            assert pos + size == len(mp4), "expected moov to be the last box"
            udta = iso_box(
                b"udta", iso_box(b"\xa9xyz", struct.pack(">HH", len(location), 0) + location)
            )
            moov = iso_box(b"moov", mp4[pos + 8 : pos + size] + udta)
            return mp4[:pos] + moov
        pos += size
    raise AssertionError("no moov box")


SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script><rect width='10' height='10'/></svg>"
)
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
TEXT = b"this is not a photo, whatever its name says\n" * 20


async def chunked(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    """`data` as an async stream of `size`-byte chunks, like a multipart field reader."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


def all_files(directory: Path) -> Iterable[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file())


def left_behind(store: BlobStore) -> list[Path]:
    """Every file under the store's root but the lock of its own lease."""
    lock = store.tmp / f"{store.lease}.lock"
    return [p for p in all_files(store.root) if p != lock]
