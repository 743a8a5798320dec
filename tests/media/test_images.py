"""Photo processing: upright, metadata-free sRGB variants from reduced decoding; bombs refused."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

from covisor.media import ImageOptions, MediaError, process_image
from covisor.media.images import draft_scale
from covisor.media.sniff import HEIF, JPEG, PNG
from tests.media import samples

PRIVATE_MARKERS = (b"Exif", b"GPS", b"TestCam", b"shot at home", b"ICC_PROFILE", b"ICCP", b"XMP")


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def out_dir(tmp_path: Path) -> Path:
    path = tmp_path / "out"
    path.mkdir()
    return path


def pixel(path: Path, x: float, y: float) -> tuple[int, ...]:
    """The colour at fractional position (x, y) of the image file at `path`."""
    with Image.open(path) as image:
        rgb = image.convert("RGB")
        return rgb.getpixel((int(x * (rgb.width - 1)), int(y * (rgb.height - 1))))  # type: ignore[return-value]


def close_to(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 40) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=False))


def test_twelve_megapixel_photo_with_orientation_6_comes_out_upright(tmp_path: Path) -> None:
    source = write(tmp_path, "upload", samples.camera_jpeg((4000, 3000), orientation=6))
    out = out_dir(tmp_path)

    result = process_image(source, out, JPEG, samples.IMAGE)

    assert (result.width, result.height) == (3000, 4000)
    display = result.variants["display.webp"]
    assert (display.width, display.height) == (1500, 2000)
    for name in ("display.webp", "display.jpg"):
        with Image.open(out / name) as image:
            assert image.size == (1500, 2000)
        # Stored with red on top and rotated 90° clockwise for viewing: red is now on the right.
        assert close_to(pixel(out / name, 0.9, 0.5), samples.RED)
        assert close_to(pixel(out / name, 0.1, 0.5), samples.BLUE)
    thumb = result.variants["thumb.jpg"]
    assert (thumb.width, thumb.height) == (240, 320)


def test_served_variants_carry_no_exif_gps_comment_or_icc(tmp_path: Path) -> None:
    source = write(tmp_path, "upload", samples.camera_jpeg((1200, 900), orientation=6))
    out = out_dir(tmp_path)
    assert b"GPS" in source.read_bytes() or b"TestCam" in source.read_bytes()

    result = process_image(source, out, JPEG, samples.IMAGE)

    assert set(result.variants) == {"display.webp", "display.jpg", "thumb.webp", "thumb.jpg"}
    for variant in result.variants.values():
        data = (out / variant.path).read_bytes()
        assert variant.bytes == len(data)
        assert not [marker for marker in PRIVATE_MARKERS if marker in data], variant.path
        with Image.open(io.BytesIO(data)) as image:
            assert not image.getexif()
            assert not {"exif", "icc_profile", "xmp", "comment"} & set(image.info)


def test_large_jpeg_is_decoded_at_reduced_scale_straight_to_display_size(tmp_path: Path) -> None:
    source = write(tmp_path, "upload", samples.camera_jpeg((4000, 3000), orientation=None))
    result = process_image(source, out_dir(tmp_path), JPEG, samples.IMAGE)
    display = result.variants["display.jpg"]
    assert (display.width, display.height) == (2000, 1500)  # exactly the 1/2 DCT scale


@pytest.mark.parametrize(
    ("size", "scale"),
    [
        ((4000, 3000), 2),
        ((4032, 3024), 2),
        ((8064, 6048), 4),
        ((6000, 4000), 2),
        ((16000, 12000), 8),
        ((2048, 1536), 1),
        ((1200, 900), 1),
    ],
)
def test_draft_scale_keeps_enough_pixels_for_the_display_size(
    size: tuple[int, int], scale: int
) -> None:
    assert draft_scale(size, 2048, 0.75) == scale


def test_alpha_is_kept_in_webp_and_flattened_on_white_in_jpeg(tmp_path: Path) -> None:
    source = write(tmp_path, "upload", samples.alpha_png())
    out = out_dir(tmp_path)

    process_image(source, out, PNG, samples.IMAGE)

    with Image.open(out / "display.webp") as webp:
        assert webp.mode == "RGBA"
        assert webp.getpixel((10, 50))[3] == 0  # type: ignore[index]
        assert webp.getpixel((190, 50))[3] == 255  # type: ignore[index]
    assert close_to(pixel(out / "display.jpg", 0.05, 0.5), (255, 255, 255), 8)
    assert close_to(pixel(out / "display.jpg", 0.95, 0.5), samples.GREEN)


def test_heic_is_processed(tmp_path: Path) -> None:
    source = write(tmp_path, "upload", samples.heic((640, 480)))
    out = out_dir(tmp_path)

    result = process_image(source, out, HEIF, samples.IMAGE)

    assert (result.width, result.height) == (640, 480)
    assert close_to(pixel(out / "display.webp", 0.5, 0.1), samples.RED)
    assert close_to(pixel(out / "display.webp", 0.5, 0.9), samples.BLUE)


def test_rotated_heic_is_turned_upright_exactly_once(tmp_path: Path) -> None:
    source = write(tmp_path, "upload", samples.heic((640, 480), orientation=6))
    out = out_dir(tmp_path)

    result = process_image(source, out, HEIF, samples.IMAGE)

    assert (result.width, result.height) == (480, 640)
    assert close_to(pixel(out / "display.jpg", 0.9, 0.5), samples.RED)
    assert close_to(pixel(out / "display.jpg", 0.1, 0.5), samples.BLUE)


def test_sixteen_bit_grayscale_is_scaled_not_clipped(tmp_path: Path) -> None:
    ramp = np.tile(np.linspace(0, 65535, 256).astype(np.uint16), (64, 1))
    buffer = io.BytesIO()
    Image.fromarray(ramp).save(buffer, "PNG")
    source = write(tmp_path, "upload", buffer.getvalue())
    out = out_dir(tmp_path)

    process_image(source, out, PNG, samples.IMAGE)

    assert pixel(out / "display.webp", 0.5, 0.5)[0] in range(100, 156)


def test_a_truncated_jpeg_is_a_bad_request(tmp_path: Path) -> None:
    data = samples.jpeg_bytes(samples.detailed((800, 600)))
    source = write(tmp_path, "upload", data[: len(data) // 2])
    with pytest.raises(MediaError) as refused:
        process_image(source, out_dir(tmp_path), JPEG, samples.IMAGE)
    assert refused.value.code == "bad_request"


def test_text_sniffed_as_nothing_cannot_reach_the_jpeg_decoder(tmp_path: Path) -> None:
    source = write(tmp_path, "photo.jpg", samples.TEXT)
    with pytest.raises(MediaError) as refused:
        process_image(source, out_dir(tmp_path), JPEG, samples.IMAGE)
    assert refused.value.code == "bad_request"


@pytest.mark.parametrize(("width", "height"), [(50_000, 50_000), (9_000, 9_000)])
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # our check must refuse
def test_decompression_bomb_is_refused_from_its_header_without_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, width: int, height: int
) -> None:
    decoded: list[object] = []
    original_load = ImageFile.ImageFile.load

    def spy_load(self: ImageFile.ImageFile) -> object:
        decoded.append(self.size)
        return original_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy_load)
    source = write(tmp_path, "upload", samples.png_header_only(width, height))

    with pytest.raises(MediaError) as refused:
        process_image(source, out_dir(tmp_path), PNG, ImageOptions(max_pixels=60_000_000))

    assert refused.value.code == "too_large"
    assert refused.value.http_status == 413
    assert re.search(r"60 megapixels", refused.value.message)
    assert decoded == []


def test_pixel_limit_is_configurable(tmp_path: Path) -> None:
    source = write(tmp_path, "upload", samples.camera_jpeg((2000, 1000)))
    with pytest.raises(MediaError) as refused:
        process_image(source, out_dir(tmp_path), JPEG, ImageOptions(max_pixels=1_000_000))
    assert refused.value.code == "too_large"


def test_a_blurred_photo_is_flagged_and_a_sharp_one_is_not(tmp_path: Path) -> None:
    scene = samples.detailed((1600, 1200))
    sharp = process_image(
        write(tmp_path, "sharp", samples.jpeg_bytes(scene)),
        out_dir(tmp_path),
        JPEG,
        samples.IMAGE,
    )
    soft_dir = tmp_path / "soft"
    soft_dir.mkdir()
    soft = process_image(
        write(tmp_path, "soft.jpg", samples.jpeg_bytes(samples.blurred(scene, 6))),
        soft_dir,
        JPEG,
        samples.IMAGE,
    )
    assert sharp.blur_score > soft.blur_score
    assert (sharp.blurry, soft.blurry) == (False, True)
