"""Served renditions: an upright sRGB picture scaled down and written as WebP and JPEG.

Everything a client is ever sent as a still comes from here, so this is where metadata stops:
the pictures written carry no EXIF, GPS, XMP, comments or ICC profile (their pixels are already
sRGB, which is what a browser assumes when no profile is attached). WebP keeps transparency;
JPEG cannot, so transparent pixels are flattened onto white.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from PIL import Image

_RESAMPLE = Image.Resampling.BICUBIC
_REDUCING_GAP = 2.0
_WHITE = (255, 255, 255)

Format = Literal["webp", "jpg"]
"""The file formats of served pictures, by their extension."""


@dataclass(frozen=True)
class Encoding:
    """Encoder settings for served pictures.

    `webp_method` trades encoding time for size (0 fastest ... 6 smallest); see docs/MEDIA.md
    for the measurements behind the defaults.
    """

    jpeg_quality: int = 82
    webp_quality: int = 80
    webp_method: int = 0


@dataclass(frozen=True)
class Variant:
    """One written rendition: `path` is relative to its media directory."""

    path: str
    bytes: int
    width: int
    height: int
    mime: str


def fit(image: Image.Image, max_side: int) -> Image.Image:
    """`image` scaled so its long side is at most `max_side` (unchanged if it already fits).

    Large reductions first shrink by an integer factor with `Image.reduce` (a cheap box
    filter) and only resample the last factor of at most `_REDUCING_GAP` with bicubic, which
    looks the same as a full bicubic pass at a fraction of the cost.
    """
    width, height = image.size
    long_side = max(width, height)
    if long_side <= max_side:
        return image
    scale = max_side / long_side
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return image.resize(size, _RESAMPLE, reducing_gap=_REDUCING_GAP)


def write_variants(
    image: Image.Image,
    name: str,
    max_side: int,
    directory: Path,
    encoding: Encoding,
    formats: tuple[Format, ...] = ("webp", "jpg"),
) -> dict[str, Variant]:
    """Write `<name>.<format>` of `image` fitted to `max_side` into `directory` for each of
    `formats` (`webp`, `jpg`).

    `image` must be upright and in mode RGB or RGBA with sRGB pixels. Returns the variants by
    file name.
    """
    if image.mode not in ("RGB", "RGBA"):
        raise ValueError(f"expected an RGB or RGBA image, got {image.mode}")
    picture = fit(image, max_side)
    picture.info = {}
    written: dict[str, Variant] = {}
    for extension in formats:
        path = directory / f"{name}.{extension}"
        if extension == "webp":
            picture.save(path, "WEBP", quality=encoding.webp_quality, method=encoding.webp_method)
            mime = "image/webp"
        else:
            _flattened(picture).save(path, "JPEG", quality=encoding.jpeg_quality)
            mime = "image/jpeg"
        written[path.name] = Variant(
            path.name, path.stat().st_size, picture.width, picture.height, mime
        )
    return written


def _flattened(picture: Image.Image) -> Image.Image:
    if picture.mode != "RGBA":
        return picture
    background = Image.new("RGB", picture.size, _WHITE)
    background.paste(picture, mask=picture.getchannel("A"))
    return background
