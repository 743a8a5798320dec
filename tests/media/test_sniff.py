"""The type of a file comes from its bytes; names and declared types are never consulted."""

from __future__ import annotations

from pathlib import Path

import pytest

from covisor.media import MediaError, sniff
from tests.media import samples


def test_jpeg_png_webp_and_heic_are_images(tmp_path: Path) -> None:
    image = samples.two_tone((64, 48), samples.RED, samples.BLUE)
    webp = tmp_path / "x.webp"
    image.save(webp, "WEBP")
    found = {
        sniff(samples.camera_jpeg((64, 48))).format,
        sniff(samples.alpha_png()).format,
        sniff(webp.read_bytes()).format,
        sniff(samples.heic((64, 48))).format,
    }
    assert found == {"jpeg", "png", "webp", "heif"}
    assert sniff(samples.alpha_png()).kind == "image"


@pytest.mark.parametrize(
    ("fourcc", "suffix", "expected"),
    [
        ("mp4v", "mp4", "mp4"),
        ("mp4v", "mov", "mov"),
        ("VP90", "webm", "webm"),
    ],
)
def test_mp4_mov_and_webm_are_videos(
    tmp_path: Path, fourcc: str, suffix: str, expected: str
) -> None:
    path = samples.video(tmp_path / f"clip.{suffix}", fourcc=fourcc, frames=5)
    media_type = sniff(path.read_bytes()[:512])
    assert (media_type.kind, media_type.format) == ("video", expected)


@pytest.mark.parametrize(
    "data",
    [
        samples.TEXT,
        samples.SVG_WITH_SCRIPT,
        samples.HTML,
        samples.PDF,
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf",
        b"\x00\x00\x00\x14ftyp3gp4\x00\x00\x00\x003gp4",
        b"RIFF\x00\x00\x00\x00AVI LIST",
        b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska",
    ],
    ids=["text", "svg", "html", "pdf", "gif", "avif", "3gp", "avi", "matroska"],
)
def test_other_types_are_unsupported(data: bytes) -> None:
    with pytest.raises(MediaError) as refused:
        sniff(data)
    assert refused.value.code == "unsupported"
    assert refused.value.http_status == 415


def test_an_empty_file_is_a_bad_request() -> None:
    with pytest.raises(MediaError) as refused:
        sniff(b"")
    assert refused.value.code == "bad_request"


def test_a_few_bytes_of_a_jpeg_are_enough() -> None:
    assert sniff(b"\xff\xd8\xff\xe0").format == "jpeg"
