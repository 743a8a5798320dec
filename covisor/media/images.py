"""Turning an uploaded photo into what the viewer shows.

`process_image` is synchronous and CPU-bound: run it in an executor (see `offload.py`), never
on the event loop. For a stored original it

1. opens the file with only the Pillow plugin its sniffed type names, reads the header and
   refuses images over `max_pixels` *before* any pixel is decoded (decompression bombs);
2. decodes a JPEG at 1/2, 1/4 or 1/8 scale in the decoder itself (`Image.draft`) when that is
   still large enough for the display variant, so a 12 MP photo costs a 3 MP decode;
3. converts to sRGB (through its ICC profile when it has one) and turns it upright per its
   EXIF orientation;
4. writes a display variant (long side <= `display_size`) and a thumbnail (<= `thumb_size`),
   each as WebP and JPEG with all metadata stripped, and scores sharpness.

The display JPEG is written first (the quickest encode of a picture every browser shows):
given a `Tell`, the job tells the server as soon as it is (first_picture.py), so the photo is
shown while the WebP, the thumbnails and the score are still being made.
"""

from __future__ import annotations

import io
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import pillow_heif
from PIL import ExifTags, Image, ImageCms, UnidentifiedImageError

from covisor.media.errors import MediaError
from covisor.media.first_picture import FirstImage, Tell, tell
from covisor.media.sharpness import BLUR_THRESHOLD, sharpness
from covisor.media.sniff import MediaType
from covisor.media.variants import Encoding, Variant, fit, write_variants

pillow_heif.register_heif_opener()

logger = logging.getLogger(__name__)

_ORIENTATION_FIXES: dict[int, tuple[Image.Transpose, ...]] = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}
_QUARTER_TURNS = frozenset({5, 6, 7, 8})
_DCT_SCALES = (2, 4, 8)
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError)


@dataclass(frozen=True)
class ImageOptions:
    """Limits and output sizes for photos.

    `min_draft_fill`: a JPEG is decoded at the smallest DCT scale whose long side is still at
    least this fraction of `display_size`, and that decoded size is used as the display size
    as-is when it fits, skipping a resampling pass. With 0.75 a 4000x3000 photo is decoded
    straight to a 2000x1500 display variant.
    """

    max_pixels: int
    """The most pixels an accepted photo has (`Config.max_image_pixels`)."""
    display_size: int = 2048
    thumb_size: int = 320
    min_draft_fill: float = 0.75
    blur_threshold: float = BLUR_THRESHOLD
    encoding: Encoding = field(default_factory=Encoding)


@dataclass(frozen=True)
class ProcessedImage:
    """What `process_image` made: the original's upright size, the variants, sharpness."""

    width: int
    height: int
    variants: dict[str, Variant]
    blur_score: float
    blurry: bool


def process_image(
    source: Path,
    out_dir: Path,
    media_type: MediaType,
    options: ImageOptions,
    first: Tell | None = None,
) -> ProcessedImage:
    """Decode `source` (sniffed as `media_type`) and write its variants into `out_dir`.

    With `first`, only `display.jpg` goes into `out_dir`, told of (`first_picture.tell`) as
    soon as it is written, and the rest into `first.rest_dir`. Returns every variant made.

    Raises `MediaError`: `too_large` over `max_pixels`, `bad_request` when the file is damaged
    or truncated, `unsupported` when its sniffed type has no image decoder; always before the
    first picture is told of.
    """
    with _open_checked(source, media_type, options) as image:
        orientation = _orientation(image)
        width, height = image.size
        if orientation in _QUARTER_TURNS:
            width, height = height, width
        _draft(image, options)
        _load(image)
        upright = _upright(_to_srgb(image), orientation)
    display = fit(upright, options.display_size)
    size, encoding = options.display_size, options.encoding
    variants = write_variants(display, "display", size, out_dir, encoding, ("jpg",))
    rest_dir = out_dir
    if first is not None:
        tell(first.address, FirstImage(width, height, variants))
        rest_dir = first.rest_dir
    variants |= write_variants(display, "display", size, rest_dir, encoding, ("webp",))
    variants |= write_variants(display, "thumb", options.thumb_size, rest_dir, encoding)
    score = sharpness(display)
    return ProcessedImage(width, height, variants, score, score < options.blur_threshold)


def draft_scale(size: tuple[int, int], display_size: int, min_fill: float) -> int:
    """The JPEG DCT scale (1, 2, 4 or 8) to decode an image of `size` at.

    The largest scale whose decoded long side is still >= `min_fill * display_size`.
    """
    long_side = max(size)
    chosen = 1
    for scale in _DCT_SCALES:
        if math.ceil(long_side / scale) >= min_fill * display_size:
            chosen = scale
    return chosen


def _open_checked(source: Path, media_type: MediaType, options: ImageOptions) -> Image.Image:
    if media_type.pillow_format is None:
        raise MediaError("unsupported", f"{media_type.format} is not an image")
    # Pillow's own guard (process-wide, ~89 MP by default) is a second line behind the explicit
    # header check below; raised, never lowered, so a larger configured limit is not refused
    # by it (and a smaller one in one call does not leak into the next).
    if Image.MAX_IMAGE_PIXELS is not None and options.max_pixels > Image.MAX_IMAGE_PIXELS:
        Image.MAX_IMAGE_PIXELS = options.max_pixels
    try:
        image = Image.open(source, formats=[media_type.pillow_format])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow warns over MAX_IMAGE_PIXELS (an exception where warnings are errors) and
        # refuses over twice that; either way the header alone said too many pixels.
        raise _too_many_pixels(options) from exc
    except (UnidentifiedImageError, *_DECODE_ERRORS) as exc:
        raise MediaError("bad_request", f"this {media_type.format} image is damaged") from exc
    width, height = image.size
    if width < 1 or height < 1 or width * height > options.max_pixels:
        image.close()
        raise _too_many_pixels(options)
    return image


def _too_many_pixels(options: ImageOptions) -> MediaError:
    megapixels = options.max_pixels / 1_000_000
    return MediaError("too_large", f"the image has more than {megapixels:g} megapixels")


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(ExifTags.Base.Orientation, 1)
    except _DECODE_ERRORS:
        return 1
    return value if isinstance(value, int) and value in _ORIENTATION_FIXES else 1


def _draft(image: Image.Image, options: ImageOptions) -> None:
    if image.format != "JPEG":
        return
    scale = draft_scale(image.size, options.display_size, options.min_draft_fill)
    if scale > 1:
        width, height = image.size
        image.draft(image.mode, (width // scale, height // scale))


def _load(image: Image.Image) -> None:
    try:
        image.load()
    except Image.DecompressionBombError as exc:
        raise MediaError("too_large", "the image is too large to decode") from exc
    except _DECODE_ERRORS as exc:
        raise MediaError("bad_request", "the image is damaged or truncated") from exc


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def _to_srgb(image: Image.Image) -> Image.Image:
    """`image` as RGB or RGBA with sRGB pixels: through its ICC profile if it has a usable one."""
    target = "RGBA" if _has_alpha(image) else "RGB"
    icc = image.info.get("icc_profile")
    if image.mode not in ("RGB", "RGBA", "CMYK", "L"):
        image = _to_8bit(image, target)
    if icc:
        converted = _through_profile(image, icc, target)
        if converted is not None:
            return converted
    return image if image.mode == target else image.convert(target)


def _to_8bit(image: Image.Image, target: str) -> Image.Image:
    """Modes Pillow cannot colour-manage directly (palette, 16-bit, float, 1-bit) to RGB(A)."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        image = image.point(lambda value: value / 256).convert("L")
    elif image.mode == "F":
        image = image.convert("L")
    return image.convert(target)


def _through_profile(image: Image.Image, icc: bytes, target: str) -> Image.Image | None:
    """Pixels converted from the embedded profile to sRGB, or None to use them as they are.

    A profile that already describes sRGB is skipped (the conversion would be a costly no-op),
    and a broken or mismatched one is ignored rather than refusing the photo.
    """
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in ImageCms.getProfileDescription(source).lower().replace(" ", ""):
            return None
        if image.mode == "RGBA" or target == "RGBA":
            rgb = ImageCms.profileToProfile(image.convert("RGB"), source, _SRGB, outputMode="RGB")
            assert rgb is not None
            rgb.putalpha(image.getchannel("A") if image.mode == "RGBA" else 255)
            return rgb
        converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
        assert converted is not None
        return converted
    except (ImageCms.PyCMSError, OSError, ValueError) as exc:
        logger.info("ignoring unusable ICC profile: %s", exc)
        return None


def _upright(image: Image.Image, orientation: int) -> Image.Image:
    for fix in _ORIENTATION_FIXES.get(orientation, ()):
        image = image.transpose(fix)
    return image
