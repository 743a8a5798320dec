"""Probing an uploaded video and making its poster, with OpenCV's FFmpeg backend.

`process_video` is synchronous and CPU-bound: run it in an executor. It refuses what OpenCV
cannot open or decode a frame of (`unsupported`) and frames over `max_pixels` (`too_large`),
reads size, frame rate and duration, grabs a poster frame a little way in (the first frame is
often black), writes it and a thumbnail as WebP and JPEG, and writes the copy of the video that
is served: for MP4/MOV with its metadata boxes blanked (see `isobmff.py`); WebM is copied as
uploaded (see docs/MEDIA.md).

Which codecs decode depends on the FFmpeg inside the opencv-python-headless wheel; on the
development machine it decodes MPEG-4 Part 2 (`mp4v`), Motion JPEG, VP8 and VP9, and can write
all of those (it has no H.264/HEVC/AV1 *encoder*, which is why tests and the demo make `mp4v` and
VP9 files).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import cv2
from PIL import Image

from covisor.media.errors import MediaError
from covisor.media.isobmff import blank_metadata
from covisor.media.sniff import MediaType
from covisor.media.variants import Encoding, Variant, write_variants

# FFmpeg would follow URLs and other protocols named inside a crafted file: local files only.
# OpenCV reads this variable at every open; an operator's own setting wins.
os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", "protocol_whitelist;file")

_UNREADABLE = "the video could not be decoded (damaged file or unsupported codec)"


@dataclass(frozen=True)
class VideoOptions:
    """Limits and output sizes for videos.

    `poster_at`: seconds into the video for the poster frame, or a third of the way into a
    shorter one.
    """

    max_pixels: int = 8192 * 4320
    poster_size: int = 2048
    thumb_size: int = 320
    poster_at: float = 1.0
    encoding: Encoding = field(default_factory=Encoding)


@dataclass(frozen=True)
class ProcessedVideo:
    """What `process_video` found and made.

    `width`/`height` are of the decoded (upright) frames; `duration` is None when the container
    does not say; `frame_count` is FFmpeg's estimate; `codec` is the FourCC OpenCV reports.
    """

    width: int
    height: int
    duration: float | None
    fps: float
    frame_count: int | None
    codec: str
    poster_time: float
    variants: dict[str, Variant]


def process_video(
    source: Path, out_dir: Path, media_type: MediaType, options: VideoOptions
) -> ProcessedVideo:
    """Probe `source` (sniffed as `media_type`) and write its served copy, poster and thumbnail.

    Raises `MediaError`: `unsupported` when OpenCV cannot read it, `too_large` over
    `max_pixels`.
    """
    if media_type.kind != "video":
        raise MediaError("unsupported", f"{media_type.format} is not a video")
    capture = cv2.VideoCapture(str(source), cv2.CAP_FFMPEG)
    try:
        if not capture.isOpened():
            raise MediaError("unsupported", _UNREADABLE)
        coded_width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        coded_height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        if coded_width < 1 or coded_height < 1:
            raise MediaError("unsupported", _UNREADABLE)
        if coded_width * coded_height > options.max_pixels:
            raise MediaError("too_large", f"video frames over {options.max_pixels:,} pixels")
        fps = float(capture.get(cv2.CAP_PROP_FPS))
        frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        codec = _fourcc(capture.get(cv2.CAP_PROP_FOURCC))
        duration = frames / fps if frames > 0 and fps > 0 else None
        ok, frame = capture.read()
        if not ok or frame is None:
            raise MediaError("unsupported", _UNREADABLE)
        poster_time = min(options.poster_at, duration / 3) if duration else 0.0
        if poster_time > 0:
            capture.set(cv2.CAP_PROP_POS_MSEC, poster_time * 1000)
            ok, later = capture.read()
            if ok and later is not None:
                frame = later
            else:
                poster_time = 0.0
    finally:
        capture.release()
    height, width = frame.shape[:2]
    poster = Image.fromarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    variants = write_variants(poster, "poster", options.poster_size, out_dir, options.encoding)
    variants |= write_variants(poster, "thumb", options.thumb_size, out_dir, options.encoding)
    served = _write_served_copy(source, out_dir, media_type)
    variants[served.name] = Variant(
        served.name, served.stat().st_size, width, height, media_type.mime
    )
    return ProcessedVideo(
        width=width,
        height=height,
        duration=duration,
        fps=fps,
        frame_count=frames if frames > 0 else None,
        codec=codec,
        poster_time=poster_time,
        variants=variants,
    )


def _write_served_copy(source: Path, out_dir: Path, media_type: MediaType) -> Path:
    served = out_dir / f"video.{media_type.format}"
    shutil.copyfile(source, served)
    if media_type.format in ("mp4", "mov"):
        blank_metadata(served)
    return served


def _fourcc(value: float) -> str:
    code = int(value)
    text = bytes((code >> shift) & 0xFF for shift in (0, 8, 16, 24)).decode("latin-1")
    return text if text.isprintable() else ""
