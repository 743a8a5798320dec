"""Real media files made by the tests: a photo-like JPEG and a WebM long enough to seek in."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def photo_jpeg(size: tuple[int, int] = (1600, 1200), *, blur: float = 0.0) -> bytes:
    """A checkerboard with a red block: full of sharp edges unless `blur` (Gaussian radius)."""
    width, height = size
    image = Image.new("RGB", size, (235, 230, 220))
    draw = ImageDraw.Draw(image)
    cell = max(8, width // 40)
    for y in range(0, height, cell):
        for x in range((y // cell) % 2 * cell, width, 2 * cell):
            draw.rectangle((x, y, x + cell - 1, y + cell - 1), fill=(30, 40, 60))
    draw.rectangle((width // 4, height // 3, width * 3 // 4, height * 2 // 3), fill=(200, 60, 50))
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def counter_webm(path: Path, seconds: int = 30, fps: int = 10) -> Path:
    """A small VP9 WebM showing its frame number, `seconds` long (the demo video has only 5 s,
    too short to play, seek and settle drift correction in)."""
    size = (320, 180)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"VP90"), fps, size)
    if not writer.isOpened():
        raise RuntimeError("this OpenCV build cannot write VP9 WebM")
    for index in range(seconds * fps):
        frame = np.full((size[1], size[0], 3), (90, 60 + index % 120, 40), np.uint8)
        label = f"{index / fps:5.1f}s"
        cv2.putText(frame, label, (40, 110), cv2.FONT_HERSHEY_SIMPLEX, 1.6, (255, 255, 255), 3)
        writer.write(frame)
    writer.release()
    return path
