"""Video probing with OpenCV: size, rate, duration, poster; unreadable files refused."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest
from PIL import Image

from covisor.media import MediaError, VideoOptions, process_video
from covisor.media.sniff import MOV, MP4, WEBM, MediaType
from tests.media import samples


def out_dir(tmp_path: Path) -> Path:
    path = tmp_path / "out"
    path.mkdir()
    return path


def frames_in(path: Path) -> int:
    capture = cv2.VideoCapture(str(path))
    count = 0
    while capture.read()[0]:
        count += 1
    capture.release()
    return count


def test_mp4_is_probed_and_gets_a_poster_and_thumbnail(tmp_path: Path) -> None:
    source = samples.video(tmp_path / "clip.mp4", size=(640, 360), fps=25, frames=100)
    out = out_dir(tmp_path)

    result = process_video(source, out, MP4, VideoOptions())

    assert (result.width, result.height) == (640, 360)
    assert result.fps == pytest.approx(25.0)
    assert result.duration == pytest.approx(4.0, abs=0.05)
    assert result.frame_count == 100
    assert result.poster_time == pytest.approx(1.0)
    assert set(result.variants) == {
        "poster.webp",
        "poster.jpg",
        "thumb.webp",
        "thumb.jpg",
        "video.mp4",
    }
    with Image.open(out / "poster.jpg") as poster:
        assert poster.size == (640, 360)
    with Image.open(out / "thumb.webp") as thumb:
        assert thumb.size == (320, 180)
    assert result.variants["video.mp4"].mime == "video/mp4"
    assert frames_in(out / "video.mp4") == 100


def test_the_served_mp4_has_its_location_blanked_and_still_plays(tmp_path: Path) -> None:
    plain = samples.video(tmp_path / "plain.mp4", frames=30)
    location = b"+52.3700+004.8900/"
    source = tmp_path / "phone.mp4"
    source.write_bytes(samples.with_location_box(plain.read_bytes(), location))
    out = out_dir(tmp_path)

    process_video(source, out, MP4, VideoOptions())

    served = (out / "video.mp4").read_bytes()
    assert location in source.read_bytes()
    assert location not in served and b"Lavf" not in served
    assert len(served) == source.stat().st_size
    assert frames_in(out / "video.mp4") == 30


@pytest.mark.parametrize(
    ("fourcc", "name", "media_type"),
    [
        ("VP90", "clip.webm", WEBM),
        ("VP80", "clip.webm", WEBM),
        ("mp4v", "clip.mov", MOV),
    ],
)
def test_webm_and_mov_are_accepted(
    tmp_path: Path, fourcc: str, name: str, media_type: MediaType
) -> None:
    source = samples.video(tmp_path / name, fourcc=fourcc, frames=50)
    result = process_video(source, out_dir(tmp_path), media_type, VideoOptions())
    assert (result.width, result.height) == (320, 240)
    assert result.duration == pytest.approx(2.0, abs=0.1)


def test_a_file_opencv_cannot_decode_is_unsupported(tmp_path: Path) -> None:
    source = tmp_path / "broken.mp4"
    source.write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41" + b"\x00garbage" * 500)
    with pytest.raises(MediaError) as refused:
        process_video(source, out_dir(tmp_path), MP4, VideoOptions())
    assert refused.value.code == "unsupported"


def test_frames_over_the_pixel_limit_are_too_large(tmp_path: Path) -> None:
    source = samples.video(tmp_path / "clip.mp4", frames=5)
    with pytest.raises(MediaError) as refused:
        process_video(source, out_dir(tmp_path), MP4, VideoOptions(max_pixels=320 * 200))
    assert refused.value.code == "too_large"
